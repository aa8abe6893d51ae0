//! Verilator regression of `link_vc` (several streams over one modelled link: per-stream
//! `mh_link_tx`/`mh_link_rx` credits, `mh_link_mux` round-robin, `mh_link_demux`)
//! against its golden model (every channel framed and unframed): corner configurations
//! and random ones, each under the four stall patterns with every output stalled on
//! its own, so no channel loses, duplicates or reorders a beat and a stalled channel
//! does not block the others; the measured latency and beat interval match the
//! descriptor's.

#[test]
fn link_vc_matches_golden_under_stalls() {
    testbenches::check_component("link_vc", 3);
}
