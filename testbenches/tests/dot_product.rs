//! Verilator regression of `dot_product` against its golden model: corner configurations and
//! random ones, each under the four stall patterns.

#[test]
fn dot_product_matches_golden_under_stalls() {
    testbenches::check_component("dot_product", 3);
}
