//! The fast cycle simulator on a stitched system against Verilator: the gated-residual
//! toy graph (`system/tests/data/gated.json`: a three-way fork, a `mul` gate, a
//! residual `add`, lane converters, reconvergent FIFOs, two `linear`s), jsc-mlp and
//! bert-tiny (shipped config and the 1-lane default) under the four stall patterns,
//! several items back to back. Verilator runs the design inside its monitor wrapper
//! (`system::monitor`), which exposes every netlist edge's valid and handshake: every
//! handshake of the top's input and output (and so latency, first-input-to-last-output
//! and cycles per item), every node's first input and last output beat, its
//! stream-based busy / starved / backpressured shares, every FIFO's peak occupancy and
//! finally every handshake of every internal stream must be Verilator's. With the gated
//! graph's reconvergent FIFOs cut to two entries both engines must agree again: the same
//! cycles if it completes, a reported deadlock if it hangs.

use generator::component::Component;
use generator::{Instance, TensorMap};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use sim::cycle::CycleError;
use sim::cycle::system::{fifo_peaks, system_net};
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};
use testbenches::fast::PatternStimulus;
use testbenches::monitor::Monitor;

const CONFIG: &str = include_str!("../../system/tests/data/gated.toml");

fn gated() -> (model::graph::Graph, SystemInstance) {
    let g = model::json::from_json(include_str!("../../system/tests/data/gated.json")).unwrap();
    let w = Weights::synthetic_with(&g, 4, &SyntheticInit::he());
    let plan =
        system::map::resolve(&g, &QuantConfig::from_toml(CONFIG).unwrap(), &w, 0, 8).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, sys)
}

/// Runs both engines; `Ok(beats compared)` or the first difference.
fn compare(
    v: &sim::Verilator,
    g: &model::graph::Graph,
    sys: &SystemInstance,
    items: usize,
) -> Result<u64, String> {
    compare_named(v, "gated", g, sys, items, 40)
}

/// [`compare`] for system `label` with inputs from seed `input_seed`; one Verilator
/// build serves the four stall patterns.
fn compare_named(
    v: &sim::Verilator,
    label: &str,
    g: &model::graph::Graph,
    sys: &SystemInstance,
    items: usize,
    input_seed: u64,
) -> Result<u64, String> {
    let (_, x) = system::inputs::synthetic(g, sys, input_seed, items).unwrap();
    let mut inputs: TensorMap = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs).unwrap();
    let wrapper = sys.monitor_top("mh_dut", "mh_monitor");
    let monitor = Monitor {
        wrapper: &wrapper,
        valid_port: system::monitor::VALID_PORT,
        fire_port: system::monitor::FIRE_PORT,
    };
    let dut = Dut::build_monitored(v, sys, &monitor, false).map_err(|e| e.to_string())?;
    let mut compared = 0;
    for (k, stall) in Stall::ALL.into_iter().enumerate() {
        let seed = 11 + k as u64;
        let out = dut
            .run(&inputs, &expected, stall, seed, None)
            .map_err(|e| e.to_string())?;
        let mut net = system_net(&sys.net, items).map_err(|e| e.to_string())?;
        let mut stim = PatternStimulus::new(&sys.streams(), stall, seed);
        let run = net.run(&mut stim);
        if !out.passed() {
            // Verilator hung: the fast engine must say deadlock.
            match run {
                Err(CycleError::Deadlock(d)) => {
                    eprintln!("{label} {stall}: both engines stop; fast: {d}");
                    continue;
                }
                other => {
                    return Err(format!(
                        "{stall} seed {seed}: Verilator failed ({:?}) but the fast engine gave {other:?}",
                        out.errors
                    ));
                }
            }
        }
        run.map_err(|e| format!("{stall} seed {seed}: {e}"))?;
        for s in net.streams.iter().filter(|s| {
            s.name == "data_in"
                || s.name.starts_with("data_in ->")
                || s.name.ends_with("-> data_out")
        }) {
            let port = if s.name.ends_with("-> data_out") {
                "data_out"
            } else {
                "data_in"
            };
            let want = &out.handshakes[port];
            let got = s.handshakes();
            if let Some(b) = (0..want.len().max(got.len())).find(|&b| want.get(b) != got.get(b)) {
                return Err(format!(
                    "{label} seed {seed} stalls {stall}: stream {port} beat {b}: Verilator cycle {:?}, fast cycle {:?}",
                    want.get(b),
                    got.get(b)
                ));
            }
            compared += want.len() as u64;
        }
        compared += compare_internal(label, stall, seed, sys, &net, &out.probes, items)?;
        let sum = net.summary(items);
        eprintln!(
            "{label} {stall}: latency {} cycles, first in -> last out {}, cycles/item {:?}; {} nodes' first/last beats and shares, {} FIFO peaks, {} streams (equal in both engines)",
            sum.latency_cycles,
            sum.first_in_to_last_out_cycles,
            sum.cycles_per_item,
            sum.nodes.len(),
            fifo_peaks(&sys.net, &net).len(),
            net.streams.len()
        );
    }
    Ok(compared)
}

/// The internal figures of the fast run `net` against those Verilator's monitor observed
/// (`probes`, one per netlist edge): per node first input and last output beat and the
/// stream-based shares, per FIFO the peak, then every internal handshake. The message
/// names the system, stall pattern, node (or FIFO, stream), field and both values.
fn compare_internal(
    label: &str,
    stall: Stall,
    seed: u64,
    sys: &SystemInstance,
    net: &sim::cycle::Net,
    probes: &[testbenches::monitor::ProbeLog],
    items: usize,
) -> Result<u64, String> {
    let at = format!("{label} stalls {stall} seed {seed}");
    if probes.len() != net.streams.len() {
        return Err(format!(
            "{at}: {} monitored streams for {} edges",
            probes.len(),
            net.streams.len()
        ));
    }
    let mut seen = system_net(&sys.net, items).map_err(|e| e.to_string())?;
    for (k, p) in probes.iter().enumerate() {
        seen.set_observed(k, p.valid.clone(), p.fires.clone());
    }
    let (fast, vl) = (net.stream_summary(items), seen.stream_summary(items));
    let mut compared = 0;
    for (f, v) in fast.nodes.iter().zip(&vl.nodes) {
        for (field, a, b) in [
            ("first_in", f.first_in, v.first_in),
            ("last_out", f.last_out, v.last_out),
        ] {
            if a != b {
                return Err(format!(
                    "{at}: node {} {field}: Verilator {b:?}, fast {a:?}",
                    f.name
                ));
            }
        }
        for (field, a, b) in [
            ("busy", f.busy, v.busy),
            ("starved", f.starved, v.starved),
            ("backpressured", f.backpressured, v.backpressured),
        ] {
            if a != b {
                return Err(format!(
                    "{at}: node {} {field} (from its output stream): Verilator {b}, fast {a}",
                    f.name
                ));
            }
        }
        compared += 1;
    }
    for (f, v) in fifo_peaks(&sys.net, net)
        .iter()
        .zip(fifo_peaks(&sys.net, &seen))
    {
        if f.peak != v.peak {
            return Err(format!(
                "{at}: fifo {} peak: Verilator {}, fast {} (depth {})",
                f.name, v.peak, f.peak, f.depth
            ));
        }
        compared += 1;
    }
    for (s, p) in net.streams.iter().zip(probes) {
        let got = s.handshakes();
        if let Some(b) = (0..p.fires.len().max(got.len())).find(|&b| p.fires.get(b) != got.get(b)) {
            return Err(format!(
                "{at}: stream {} beat {b}: Verilator cycle {:?}, fast cycle {:?}",
                s.name,
                p.fires.get(b),
                got.get(b)
            ));
        }
        compared += got.len() as u64;
    }
    Ok(compared)
}

#[test]
fn gated_graph_fast_engine_equals_verilator() {
    let Some(v) = testbenches::verilator_or_skip("cycle_system") else {
        return;
    };
    let (g, sys) = gated();
    let n = compare(&v, &g, &sys, 5).unwrap_or_else(|e| panic!("{e}"));
    assert!(n > 0);
}

#[test]
fn gated_graph_with_short_fifos_agrees_or_deadlocks_in_both() {
    let Some(v) = testbenches::verilator_or_skip("cycle_system") else {
        return;
    };
    let (g, mut sys) = gated();
    let mut shrunk = 0;
    for (name, _, _) in sys.net.fifos.clone() {
        let node = sys
            .net
            .nodes
            .iter_mut()
            .find(|n| format!("u_{}", n.name) == name)
            .unwrap();
        let p = node.inst.params();
        let (w, l) = (p.get("WIDTH"), p.get("PARALLELISM"));
        node.inst = generator::components::fifo::Fifo
            .configure(&[("WIDTH", w), ("PARALLELISM", l), ("DEPTH", 2)])
            .unwrap();
        shrunk += 1;
    }
    assert!(shrunk > 0);
    let sys = SystemInstance::new(sys.net);
    compare(&v, &g, &sys, 3).unwrap_or_else(|e| panic!("{e}"));
}

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// jsc-mlp under the shipped config (He weights, as `system_mlp`).
fn jsc_mlp() -> (model::graph::Graph, SystemInstance) {
    let g = model::json::from_json(&example("jsc-mlp.json")).unwrap();
    let w = Weights::synthetic_with(&g, 7, &SyntheticInit::he());
    let cfg = QuantConfig::from_toml(&example("jsc-mlp-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 64).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, sys)
}

/// bert-tiny under the shipped config (synthetic weights, as `system_bert`).
fn bert_tiny() -> (model::graph::Graph, SystemInstance) {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let w = Weights::synthetic(&g, 3);
    let cfg = QuantConfig::from_toml(&example("bert-tiny-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 16).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, sys)
}

#[test]
fn jsc_mlp_fast_engine_equals_verilator() {
    let Some(v) = testbenches::verilator_or_skip("cycle_system jsc-mlp") else {
        return;
    };
    let (g, sys) = jsc_mlp();
    let n = compare_named(&v, "jsc-mlp", &g, &sys, 6, 1000).unwrap_or_else(|e| panic!("{e}"));
    assert!(n > 0);
}

#[test]
fn bert_tiny_fast_engine_equals_verilator() {
    let Some(v) = testbenches::verilator_or_skip("cycle_system bert-tiny") else {
        return;
    };
    let (g, sys) = bert_tiny();
    let n = compare_named(&v, "bert-tiny", &g, &sys, 2, 500).unwrap_or_else(|e| panic!("{e}"));
    assert!(n > 0);
}

/// bert-tiny under the default config (16 bits, frac auto, parallelism 1: `gen`
/// without `--config`).
fn bert_tiny_default() -> (model::graph::Graph, SystemInstance) {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let w = Weights::synthetic(&g, 3);
    let plan = system::map::resolve(&g, &QuantConfig::default(), &w, 0, 16).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, sys)
}

#[test]
fn bert_tiny_default_config_fast_engine_equals_verilator() {
    let Some(v) = testbenches::verilator_or_skip("cycle_system bert-tiny default") else {
        return;
    };
    let (g, sys) = bert_tiny_default();
    let n =
        compare_named(&v, "bert-tiny default", &g, &sys, 2, 500).unwrap_or_else(|e| panic!("{e}"));
    assert!(n > 0);
}

/// The under-sized attention-residual FIFOs of `system_bert` (7 rows instead of 9), on
/// which Verilator times out with no output: the fast engine reports the deadlock,
/// naming the stuck streams; with the sized FIFOs it completes.
#[test]
fn bert_tiny_fast_engine_reports_the_residual_fifo_deadlock() {
    let (_, mut sys) = bert_tiny();
    let mut net = system_net(&sys.net, 1).unwrap();
    net.run(&mut PatternStimulus::new(&sys.streams(), Stall::None, 1))
        .unwrap_or_else(|e| panic!("sized FIFOs: {e}"));
    let mut shrunk = 0;
    for (name, depth, _) in sys.net.fifos.clone() {
        if !name.contains("attention_output_residual") {
            continue;
        }
        assert_eq!(depth, 9 * 16);
        let node = sys
            .net
            .nodes
            .iter_mut()
            .find(|n| format!("u_{}", n.name) == name)
            .unwrap();
        let p = node.inst.params();
        let (w, l) = (p.get("WIDTH"), p.get("PARALLELISM"));
        node.inst = generator::components::fifo::Fifo
            .configure(&[("WIDTH", w), ("PARALLELISM", l), ("DEPTH", 7 * 16)])
            .unwrap();
        shrunk += 1;
    }
    assert_eq!(shrunk, 2);
    let sys = SystemInstance::new(sys.net);
    let mut net = system_net(&sys.net, 1).unwrap();
    match net.run(&mut PatternStimulus::new(&sys.streams(), Stall::None, 1)) {
        Err(CycleError::Deadlock(d)) => {
            assert!(!d.waiting.is_empty());
            assert!(
                d.waiting
                    .iter()
                    .any(|w| w.contains("attention_output_residual")),
                "{d}"
            );
            eprintln!(
                "deadlock at cycle {}: {} streams stuck, first: {}",
                d.cycle,
                d.waiting.len(),
                d.waiting[0]
            );
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
}
