//! Verilator regression of `softmax` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn softmax_matches_golden_under_stalls() {
    testbenches::check_component("softmax", 3);
}
