//! Verilator regression of `gelu` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn gelu_matches_golden_under_stalls() {
    testbenches::check_component("gelu", 3);
}
