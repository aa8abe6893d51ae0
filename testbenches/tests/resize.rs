//! Verilator regression of `resize` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn resize_matches_golden_under_stalls() {
    testbenches::check_component("resize", 3);
}
