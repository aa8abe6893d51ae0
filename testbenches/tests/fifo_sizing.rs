//! FIFO sizing by simulation (`sim::cycle::sizing`) on bert-tiny, and the true
//! deadlock boundary of its attention-residual FIFOs.
//!
//! Fast engine only: the sized design keeps the unbounded-FIFO cycles per item, and one
//! entry below any sized depth (the others sized) deadlocks under one of the four stall
//! patterns or loses throughput; the residual FIFO's smallest completing depth is below
//! the netlist rule's, one below it deadlocks. Verilator: the sized design is bit-exact
//! against the golden model with the cycles per item the fast engine predicted, its
//! regenerated top lint-clean; the residual FIFO at the boundary completes bit-exact and
//! one below times out (the harness's cycle budget: no hang).

use generator::{Instance, TensorMap};
use model::quant::QuantConfig;
use model::weights::Weights;
use sim::cycle::CycleError;
use sim::cycle::sizing::{Sizing, Traffic, deadlock_boundary, run_with, size_fifos};
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};
use testbenches::fast::{PatternStimulus, stall_traffic};

const ITEMS: usize = 3;
const SEED: u64 = 5;

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// bert-tiny under the shipped config (synthetic weights, as `cycle_system`).
fn bert_tiny() -> (model::graph::Graph, SystemInstance) {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let w = Weights::synthetic(&g, 3);
    let cfg = QuantConfig::from_toml(&example("bert-tiny-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 16).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, sys)
}

fn traffic(sys: &SystemInstance, items: usize) -> Traffic<'static> {
    stall_traffic(sys.streams(), items, SEED)
}

/// Cycles between the last output beats of the first and the last item (no stalls), or
/// `None` on a deadlock under any of the four patterns.
fn verdict(sys: &SystemInstance, depths: &[(usize, usize)]) -> Option<u64> {
    let mut span = None;
    for stall in Stall::ALL {
        let mut stim = PatternStimulus::new(&sys.streams(), stall, SEED);
        match run_with(&sys.net, ITEMS, depths, &mut stim) {
            Ok(n) if stall == Stall::None => {
                let out = n.streams.iter().find(|s| s.name.ends_with("-> data_out"))?;
                let hs = out.handshakes();
                let per = hs.len() / ITEMS;
                span = Some(hs[ITEMS * per - 1] - hs[per - 1]);
            }
            Ok(_) => {}
            Err(CycleError::Deadlock(_)) => return None,
            Err(e) => panic!("{e}"),
        }
    }
    span
}

fn sized(sys: &SystemInstance) -> Sizing {
    size_fifos(&sys.net, &traffic(sys, ITEMS)).unwrap_or_else(|e| panic!("{e}"))
}

/// The netlist with the sized depths, as `sim system --size-fifos` writes it.
fn apply(mut sys: SystemInstance, s: &Sizing) -> SystemInstance {
    for f in &s.fifos {
        sys.net
            .set_fifo_depth(&format!("u_{}", f.name), f.sized, "sized".into())
            .unwrap();
    }
    SystemInstance::new(sys.net)
}

fn residual_nodes(sys: &SystemInstance) -> Vec<usize> {
    let v: Vec<usize> = sys
        .net
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            n.name.contains("attention_output_residual")
                && sys.net.fifos.iter().any(|f| f.0 == format!("u_{}", n.name))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(v.len(), 2, "bert-tiny has two attention-residual FIFOs");
    v
}

#[test]
fn sized_fifos_keep_throughput_and_are_minimal() {
    let (_, sys) = bert_tiny();
    let s = sized(&sys);
    assert!(!s.fifos.is_empty());
    let all: Vec<(usize, usize)> = s.fifos.iter().map(|f| (f.node, f.sized)).collect();
    let unbounded: Vec<(usize, usize)> = s.fifos.iter().map(|f| (f.node, 1 << 16)).collect();
    let target = verdict(&sys, &unbounded).expect("unbounded FIFOs complete");
    assert_eq!(
        verdict(&sys, &all),
        Some(target),
        "sized depths keep the unbounded cycles per item under no stalls and complete under all four patterns"
    );
    assert_eq!(s.sized.cycles_per_item, s.unbounded.cycles_per_item);
    for (k, f) in s.fifos.iter().enumerate() {
        eprintln!(
            "{}: rule {} peak {} sized {}",
            f.name, f.rule, f.peak, f.sized
        );
        assert!(f.sized <= f.peak);
        if f.sized == sim::cycle::sizing::MIN_DEPTH {
            continue;
        }
        let mut below = all.clone();
        below[k].1 -= 1;
        let v = verdict(&sys, &below);
        assert!(
            v.is_none_or(|span| span > target),
            "{} at {} (one below sized) still completes at full throughput",
            f.name,
            f.sized - 1
        );
    }
    let residual = residual_nodes(&sys);
    assert!(
        s.fifos
            .iter()
            .any(|f| residual.contains(&f.node) && f.sized > sim::cycle::sizing::MIN_DEPTH),
        "the attention residual FIFO is sized above the minimum and so tested one below"
    );
    let (before, after) = s.bits();
    eprintln!(
        "bert-tiny: cycles/item rule {:?} unbounded {} sized {}; FIFO bits {before} -> {after}; {} runs",
        s.rule.as_ref().map(|t| t.cycles_per_item),
        s.unbounded.cycles_per_item,
        s.sized.cycles_per_item,
        s.runs
    );
}

/// The smallest completing depth of each attention-residual FIFO (the other FIFOs at
/// the rule's depths), checked: it completes under all four patterns, one below
/// deadlocks under at least one; the rule's depth is at or above it.
fn boundaries(sys: &SystemInstance, tr: &Traffic<'_>) -> Vec<(usize, usize, usize)> {
    residual_nodes(sys)
        .into_iter()
        .map(|node| {
            let rule = sys.net.nodes[node].inst.params().get_usize("DEPTH");
            let b = deadlock_boundary(&sys.net, node, rule, tr).unwrap_or_else(|e| panic!("{e}"));
            (node, rule, b)
        })
        .collect()
}

#[test]
fn residual_fifo_boundary_in_the_fast_engine() {
    let (_, sys) = bert_tiny();
    for (node, rule, b) in boundaries(&sys, &traffic(&sys, 2)) {
        let name = &sys.net.nodes[node].name;
        eprintln!(
            "{name}: rule {rule} beats, completes from {b} beats (margin {})",
            rule - b
        );
        assert!(b <= rule);
        let deadlocks = |depth: usize| {
            Stall::ALL.into_iter().any(|stall| {
                let mut stim = PatternStimulus::new(&sys.streams(), stall, SEED);
                matches!(
                    run_with(&sys.net, 2, &[(node, depth)], &mut stim),
                    Err(CycleError::Deadlock(_))
                )
            })
        };
        assert!(!deadlocks(b), "{name} completes at {b}");
        assert!(deadlocks(b - 1), "{name} deadlocks at {}", b - 1);
    }
}

fn run_verilator(
    v: &sim::Verilator,
    g: &model::graph::Graph,
    sys: &SystemInstance,
    items: usize,
    stall: Stall,
) -> testbenches::cosim::RunOutcome {
    let (_, x) = system::inputs::synthetic(g, sys, 500, items).unwrap();
    let mut inputs: TensorMap = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs).unwrap();
    let dut = Dut::build(v, sys, false).unwrap_or_else(|e| panic!("{e}"));
    dut.run(&inputs, &expected, stall, SEED, None)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn sized_bert_tiny_in_verilator() {
    let Some(v) = testbenches::verilator_or_skip("fifo_sizing") else {
        return;
    };
    let (g, sys) = bert_tiny();
    let s = sized(&sys);
    let sys = apply(sys, &s);
    // The regenerated top is lint-clean.
    let files = system::emit::render(&sys, "mh_bert_tiny").unwrap();
    let dir = std::env::temp_dir().join(format!("mh-fifo-sizing-{}", std::process::id()));
    generator::emit::write_dir(&files, &dir).unwrap();
    testbenches::lint::lint_dir(&dir, "mh_bert_tiny", &files).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let out = run_verilator(&v, &g, &sys, ITEMS, Stall::None);
    assert!(out.passed(), "{:?} {:?}", out.first_mismatch, out.errors);
    let per = sys.net.output_edge().elements / sys.net.output_edge().lanes;
    let f = &out.ii_fires;
    let cycles = (f[ITEMS * per - 1] - f[per - 1]) as f64 / (ITEMS - 1) as f64;
    eprintln!(
        "verilator: sized bert-tiny bit-exact, {cycles} cycles per item (fast engine {})",
        s.sized.cycles_per_item
    );
    assert_eq!(cycles, s.sized.cycles_per_item);
}

#[test]
fn residual_fifo_boundary_in_verilator() {
    let Some(v) = testbenches::verilator_or_skip("fifo_sizing boundary") else {
        return;
    };
    let (g, sys) = bert_tiny();
    // One item, no stalls: the run the Verilator harness makes below.
    let once = Traffic {
        items: 1,
        stimuli: vec![(
            "none".into(),
            Box::new(|| Box::new(sim::cycle::NoStalls) as Box<dyn sim::cycle::Stimulus>),
        )],
    };
    let (node, rule, b) = boundaries(&sys, &once)[0];
    eprintln!("fast engine, one item, no stalls: completes from {b} of rule {rule}");
    let name = format!("u_{}", sys.net.nodes[node].name);
    let at = |depth: usize| {
        let (_, mut s) = bert_tiny();
        s.net
            .set_fifo_depth(&name, depth, "boundary".into())
            .unwrap();
        SystemInstance::new(s.net)
    };
    let ok = run_verilator(&v, &g, &at(b), 1, Stall::None);
    assert!(
        ok.passed(),
        "{name} at {b}: {:?} {:?}",
        ok.first_mismatch,
        ok.errors
    );
    let t0 = std::time::Instant::now();
    let stuck = run_verilator(&v, &g, &at(b - 1), 1, Stall::None);
    assert!(
        !stuck.passed(),
        "{name} at {} completes in Verilator",
        b - 1
    );
    assert!(
        stuck.first_mismatch.is_none() && stuck.errors.iter().any(|e| e.contains("timeout")),
        "{:?}",
        stuck.errors
    );
    eprintln!(
        "verilator: {name} completes at {b}, times out at {} ({:.2} s)",
        b - 1,
        t0.elapsed().as_secs_f64()
    );
}
