//! Verilator regression of `weight_rom` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn weight_rom_matches_golden_under_stalls() {
    testbenches::check_component("weight_rom", 3);
}
