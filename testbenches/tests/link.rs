//! Verilator regression of `link` (`mh_link_tx` → link model → `mh_link_rx`, credits
//! back through a second link model) against its golden model (framing and
//! unframing): corner configurations and random ones, each under the four stall
//! patterns, so nothing is lost, duplicated or reordered under backpressure, and the
//! measured latency and beat interval match the descriptor's.

#[test]
fn link_matches_golden_under_stalls() {
    testbenches::check_component("link", 3);
}
