//! Verilator regression of `mul` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn mul_matches_golden_under_stalls() {
    testbenches::check_component("mul", 3);
}
