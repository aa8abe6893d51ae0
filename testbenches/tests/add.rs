//! Verilator regression of `add` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn add_matches_golden_under_stalls() {
    testbenches::check_component("add", 3);
}
