//! Verilator regression of `join` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn join_matches_golden_under_stalls() {
    testbenches::check_component("join", 3);
}
