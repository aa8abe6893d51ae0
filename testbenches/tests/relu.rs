//! Verilator regression of `relu` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn relu_matches_golden_under_stalls() {
    testbenches::check_component("relu", 3);
}
