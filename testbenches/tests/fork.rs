//! Verilator regression of `fork` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn fork_matches_golden_under_stalls() {
    testbenches::check_component("fork", 3);
}
