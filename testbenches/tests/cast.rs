//! Verilator regression of `cast` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn cast_matches_golden_under_stalls() {
    testbenches::check_component("cast", 3);
}
