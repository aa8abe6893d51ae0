//! Verilator regression of `skid_buffer` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn skid_buffer_matches_golden_under_stalls() {
    testbenches::check_component("skid_buffer", 3);
}
