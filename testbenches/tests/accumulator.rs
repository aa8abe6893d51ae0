//! Verilator regression of `accumulator` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn accumulator_matches_golden_under_stalls() {
    testbenches::check_component("accumulator", 3);
}
