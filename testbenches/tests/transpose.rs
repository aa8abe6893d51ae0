//! Verilator regression of `transpose` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn transpose_matches_golden_under_stalls() {
    testbenches::check_component("transpose", 3);
}
