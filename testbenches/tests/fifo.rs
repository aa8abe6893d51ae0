//! Verilator regression of `fifo` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn fifo_matches_golden_under_stalls() {
    testbenches::check_component("fifo", 3);
}
