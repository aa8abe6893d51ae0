//! Verilator regression of `layernorm` against its golden model: corner configurations
//! and random ones, each under the four stall patterns.

#[test]
fn layernorm_matches_golden_under_stalls() {
    testbenches::check_component("layernorm", 3);
}
