//! The fast engine's data mode (`sim::cycle::data`) and waveforms (`sim::cycle::waves`)
//! on the shipped jsc-mlp and bert-tiny systems, under the four stall patterns.
//!
//! Data mode: the values the beats of the boundary output carry, reassembled, must equal
//! the system's golden model bit for bit, and a data-mode run's handshakes must be the
//! timing-mode run's. Waveforms: the VCD, read back with the `vcd` crate, must give every
//! stream's handshakes (cycles where valid and ready are both high), its beat count
//! and every FIFO's occupancy as the engine recorded them, never above the FIFO's depth.

use std::collections::BTreeMap;

use generator::{Instance, TensorMap};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use sim::cycle::Net;
use sim::cycle::system::system_net;
use system::SystemInstance;
use testbenches::cosim::Stall;
use testbenches::fast::PatternStimulus;

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn system(
    model: &str,
    config: &str,
    w: impl Fn(&model::graph::Graph) -> Weights,
    calibration_rows: u64,
) -> (model::graph::Graph, SystemInstance) {
    let g = model::json::from_json(&example(model)).unwrap();
    let w = w(&g);
    let cfg = QuantConfig::from_toml(&example(config)).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, calibration_rows).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, sys)
}

/// jsc-mlp and bert-tiny under their shipped configs (as `cycle_system`).
fn systems() -> Vec<(&'static str, model::graph::Graph, SystemInstance, usize)> {
    let (g1, s1) = system(
        "jsc-mlp.json",
        "jsc-mlp-q.toml",
        |g| Weights::synthetic_with(g, 7, &SyntheticInit::he()),
        64,
    );
    let (g2, s2) = system(
        "bert-tiny.json",
        "bert-tiny-q.toml",
        |g| Weights::synthetic(g, 3),
        16,
    );
    vec![("jsc-mlp", g1, s1, 6), ("bert-tiny", g2, s2, 2)]
}

fn run(sys: &SystemInstance, items: usize, stall: Stall, seed: u64) -> Net {
    let mut net = system_net(&sys.net, items).unwrap();
    net.run(&mut PatternStimulus::new(&sys.streams(), stall, seed))
        .unwrap_or_else(|e| panic!("{stall} seed {seed}: {e}"));
    net
}

#[test]
fn data_mode_output_is_the_golden_output_and_timing_is_unchanged() {
    for (label, g, sys, items) in systems() {
        let (_, x) = system::inputs::synthetic(&g, &sys, 500, items).unwrap();
        let golden = sys
            .golden(&TensorMap::from([("data_in".to_string(), x.clone())]))
            .unwrap()
            .remove("data_out")
            .unwrap();
        for (k, stall) in Stall::ALL.into_iter().enumerate() {
            let seed = 11 + k as u64;
            let timing = run(&sys, items, stall, seed);
            let net = run(&sys, items, stall, seed);
            let d = sim::cycle::data::run_data(&sys, &net, &x)
                .unwrap_or_else(|e| panic!("{label} {stall}: {e}"));
            assert_eq!(d.output.shape, golden.shape, "{label} {stall}");
            if let Some(i) = (0..golden.raw.len()).find(|&i| d.output.raw[i] != golden.raw[i]) {
                panic!(
                    "{label} {stall} seed {seed}: data_out element {i}: data mode {}, golden {}",
                    d.output.raw[i], golden.raw[i]
                );
            }
            let beats: usize = net.streams.iter().map(|s| s.beats).sum();
            assert_eq!(
                d.beats, beats as u64,
                "{label} {stall}: every beat carries a value"
            );
            for (a, b) in timing.streams.iter().zip(&net.streams) {
                assert_eq!(
                    a.handshakes(),
                    b.handshakes(),
                    "{label} {stall}: {}",
                    a.name
                );
                assert_eq!(
                    a.valid_cycles(),
                    b.valid_cycles(),
                    "{label} {stall}: {}",
                    a.name
                );
            }
            assert_eq!(timing.summary(items), net.summary(items), "{label} {stall}");
            eprintln!(
                "{label} {stall}: {} values bit-exact, {beats} beats",
                golden.raw.len()
            );
        }
    }
}

/// A node's golden model that disagrees with what it received is caught: one input
/// beat changed changes the output (the output is computed from the beats, not
/// copied from the golden model).
#[test]
fn data_mode_output_follows_the_input_beats() {
    let (label, g, sys, items) = systems().remove(0);
    let (_, x) = system::inputs::synthetic(&g, &sys, 500, items).unwrap();
    let net = run(&sys, items, Stall::Both, 3);
    let a = sim::cycle::data::run_data(&sys, &net, &x).unwrap();
    let mut x2 = x.clone();
    x2.raw[0] = if x2.raw[0] == x2.format.max_raw() {
        x2.format.min_raw()
    } else {
        x2.format.max_raw()
    };
    let b = sim::cycle::data::run_data(&sys, &net, &x2).unwrap();
    let golden2 = sys
        .golden(&TensorMap::from([("data_in".to_string(), x2)]))
        .unwrap()
        .remove("data_out")
        .unwrap();
    assert_ne!(a.output, b.output, "{label}");
    assert_eq!(b.output, golden2, "{label}");
}

/// Reads a VCD back: per scope path (`streams.s3_...`), per wire, the (time, value)
/// changes.
fn read_vcd(text: &[u8]) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut p = vcd::Parser::new(text);
    let header = p.parse_header().unwrap();
    let mut names: BTreeMap<vcd::IdCode, String> = BTreeMap::new();
    fn walk(items: &[vcd::ScopeItem], path: &str, names: &mut BTreeMap<vcd::IdCode, String>) {
        for i in items {
            match i {
                vcd::ScopeItem::Scope(s) => {
                    walk(&s.items, &format!("{path}{}.", s.identifier), names)
                }
                vcd::ScopeItem::Var(v) => {
                    names.insert(v.code, format!("{path}{}", v.reference));
                }
                _ => {}
            }
        }
    }
    walk(&header.items, "", &mut names);
    let mut out: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let mut t = 0;
    for c in p {
        match c.unwrap() {
            vcd::Command::Timestamp(ts) => t = ts,
            vcd::Command::ChangeScalar(id, v) => out
                .entry(names[&id].clone())
                .or_default()
                .push((t, u64::from(v == vcd::Value::V1))),
            vcd::Command::ChangeVector(id, v) => {
                let n = v
                    .iter()
                    .fold(0u64, |n, b| n << 1 | u64::from(b == vcd::Value::V1));
                out.entry(names[&id].clone()).or_default().push((t, n));
            }
            _ => {}
        }
    }
    out
}

/// The value of `changes` at time `t`.
fn at(changes: &[(u64, u64)], t: u64) -> u64 {
    match changes.partition_point(|&(c, _)| c <= t) {
        0 => 0,
        i => changes[i - 1].1,
    }
}

#[test]
fn vcd_read_back_gives_the_engine_handshakes_and_fifo_occupancy() {
    let ps = 4000;
    for (label, _, sys, items) in systems() {
        for (k, stall) in Stall::ALL.into_iter().enumerate() {
            let seed = 21 + k as u64;
            let net = run(&sys, items, stall, seed);
            let fifos: Vec<usize> = (0..sys.net.nodes.len())
                .filter(|&i| sys.net.nodes[i].inst.component().name() == "fifo")
                .collect();
            let mut text = Vec::new();
            sim::cycle::waves::write_vcd(&net, &fifos, ps, &mut text).unwrap();
            let w = read_vcd(&text);
            for (i, s) in net.streams.iter().enumerate() {
                let scope = format!(
                    "fast.streams.{}",
                    sim::cycle::waves::stream_scope(i, &s.name)
                );
                let get = |n: &str| w.get(&format!("{scope}.{n}")).cloned().unwrap_or_default();
                let (valid, ready, beats) = (get("valid"), get("ready"), get("beats"));
                // Beat count: k + 1 from the cycle after handshake k.
                let counted: Vec<u64> = beats
                    .iter()
                    .filter(|&&(_, v)| v > 0)
                    .map(|&(t, _)| t / ps - 1)
                    .collect();
                assert_eq!(
                    counted,
                    s.handshakes(),
                    "{label} {stall}: {} beat count",
                    s.name
                );
                // Handshakes: every change point of valid or ready starts a run of
                // cycles with the same levels; valid && ready in a run of length n is n
                // handshakes.
                let mut points: Vec<u64> =
                    valid.iter().chain(&ready).map(|&(t, _)| t / ps).collect();
                points.sort_unstable();
                points.dedup();
                let mut hs = Vec::new();
                for (j, &c) in points.iter().enumerate() {
                    if at(&valid, c * ps) == 1 && at(&ready, c * ps) == 1 {
                        let end = points.get(j + 1).copied().unwrap_or(c + 1);
                        hs.extend(c..end);
                    }
                }
                assert_eq!(
                    hs,
                    s.handshakes(),
                    "{label} {stall}: {} valid && ready",
                    s.name
                );
                // Event-driven: no two change points of one signal at the same time,
                // and no point repeats the previous value.
                for ch in [&valid, &ready, &beats] {
                    for p in ch.windows(2) {
                        assert!(
                            p[0].0 < p[1].0 && p[0].1 != p[1].1,
                            "{label} {}: {p:?}",
                            s.name
                        );
                    }
                }
            }
            for &f in &fifos {
                let node = &net.nodes[f];
                let scope = format!(
                    "fast.fifos.{}.occupancy",
                    sim::cycle::waves::stream_scope(f, &node.name)
                );
                let occ = &w[&scope];
                let depth = sys.net.nodes[f].inst.params().get_usize("DEPTH") as u64 + 1;
                let (a, b) = (
                    net.streams[node.ins[0]].handshakes(),
                    net.streams[node.outs[0]].handshakes(),
                );
                for &(t, v) in occ {
                    let c = t / ps;
                    let held = a.partition_point(|&h| h < c) - b.partition_point(|&h| h < c);
                    assert_eq!(
                        v, held as u64,
                        "{label} {stall}: {} at cycle {c}",
                        node.name
                    );
                    assert!(
                        v <= depth,
                        "{label} {stall}: {} holds {v} of {depth}",
                        node.name
                    );
                }
                assert!(
                    occ.iter().any(|&(_, v)| v > 0),
                    "{label}: {} never used",
                    node.name
                );
            }
            eprintln!(
                "{label} {stall}: {} bytes of VCD, {} streams, {} FIFOs",
                text.len(),
                net.streams.len(),
                fifos.len()
            );
        }
    }
}
