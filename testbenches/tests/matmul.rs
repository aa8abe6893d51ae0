//! Verilator regression of `matmul` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn matmul_matches_golden_under_stalls() {
    testbenches::check_component("matmul", 3);
}
