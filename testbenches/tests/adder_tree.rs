//! Verilator regression of `adder_tree` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn adder_tree_matches_golden_under_stalls() {
    testbenches::check_component("adder_tree", 3);
}
