//! The fast cycle simulator on a stitched system against Verilator: the gated-residual
//! toy graph (`system/tests/data/gated.json`: a three-way fork, a `mul` gate, a
//! residual `add`, lane converters, reconvergent FIFOs, two `linear`s) under the four
//! stall patterns, several items back to back. Every handshake of the top's input and
//! output (and so latency, first-input-to-last-output and cycles per item) must be
//! Verilator's. With its reconvergent FIFOs cut to two entries both engines must
//! agree again: the same cycles if it completes, a reported deadlock if it hangs.

use generator::component::Component;
use generator::{Instance, TensorMap};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use sim::cycle::CycleError;
use sim::cycle::system::system_net;
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};
use testbenches::fast::PatternStimulus;

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
    let (_, x) = system::inputs::synthetic(g, sys, 40, items).unwrap();
    let mut inputs: TensorMap = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs).unwrap();
    let dut = Dut::build(v, sys, false)?;
    let mut compared = 0;
    for (k, stall) in Stall::ALL.into_iter().enumerate() {
        let seed = 11 + k as u64;
        let out = dut.run(&inputs, &expected, stall, seed, None)?;
        let mut net = system_net(&sys.net, items).map_err(|e| e.to_string())?;
        let mut stim = PatternStimulus::new(&sys.streams(), stall, seed);
        let run = net.run(&mut stim);
        if !out.passed() {
            // Verilator hung: the fast engine must say deadlock.
            match run {
                Err(CycleError::Deadlock(d)) => {
                    eprintln!("{stall}: both engines stop; fast: {d}");
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
                    "gated seed {seed} stalls {stall}: stream {port} beat {b}: Verilator cycle {:?}, fast cycle {:?}",
                    want.get(b),
                    got.get(b)
                ));
            }
            compared += want.len() as u64;
        }
        let sum = net.summary(items);
        eprintln!(
            "{stall}: latency {} cycles, first in -> last out {}, cycles/item {:?} (equal in both engines)",
            sum.latency_cycles, sum.first_in_to_last_out_cycles, sum.cycles_per_item
        );
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
