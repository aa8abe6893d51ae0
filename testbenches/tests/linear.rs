//! Verilator regression of `linear` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn linear_matches_golden_under_stalls() {
    testbenches::check_component("linear", 3);
}
