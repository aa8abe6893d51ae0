//! The folding and partitioning planner, checked against independent references: the
//! stitched system's own timing estimate (itself checked against Verilator in the
//! bert-tiny test) for the interval the chosen lanes give, the board budgets and the
//! roofline for bert-base, exhaustive search for the cut, and the refusal of
//! configurations that cannot fit.

use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use system::SystemInstance;
use system::plan::{CutPolicy, DeviceCount, PlanOptions, SystemPlan, plan};

const TINY: &str = include_str!("../../examples/bert-tiny.json");
const TINY_Q: &str = include_str!("../../examples/bert-tiny-q.toml");
const BASE: &str = include_str!("../../examples/bert-base.json");
const BASE_Q: &str = include_str!("../../examples/bert-base-q.toml");

fn options(board: &str, devices: DeviceCount) -> PlanOptions {
    let board = system::board::find(board).unwrap();
    PlanOptions {
        clock_mhz: board.clock_mhz,
        board,
        devices,
        link_gbps: 100.0,
        links_per_cut: 1,
        target_items_per_s: None,
        cuts: CutPolicy::SingleStream,
    }
}

/// Formats only (fractional widths do not change resources): `frac = 0`.
fn widths_only(graph: &model::graph::Graph, cfg: &str) -> model::quant::QuantPlan {
    let cfg = cfg.replace("frac = \"auto\"", "frac = 0");
    QuantConfig::from_toml(&cfg)
        .unwrap()
        .resolve(graph, None, None)
        .unwrap()
}

fn check_partition(g: &model::graph::Graph, p: &SystemPlan) {
    let flat: Vec<&String> = p.devices.iter().flat_map(|d| &d.nodes).collect();
    let all: Vec<&String> = g.nodes.iter().map(|n| &n.name).collect();
    assert_eq!(flat, all, "devices hold every node once, in order");
    for d in &p.devices {
        let (r, b) = (&d.resources, &d.budget);
        assert!(
            r.dsp <= b.dsp
                && r.lut <= b.lut
                && r.ff <= b.ff
                && r.bram36 <= b.bram36
                && r.uram <= b.uram,
            "device over budget: {r:?} vs {b:?}"
        );
    }
    for c in &p.cuts {
        assert!(c.gbps <= c.gbps_available, "{c:?}");
    }
}

#[test]
fn tiny_plan_interval_matches_the_system_timing_estimate() {
    let g = model::json::from_json(TINY).unwrap();
    let w = Weights::synthetic_with(&g, 0, &SyntheticInit::bert());
    let cfg = QuantConfig::from_toml(TINY_Q).unwrap();
    let mut quant = system::map::resolve(&g, &cfg, &w, 0, 2).unwrap();
    for k in [2, 3] {
        let p = plan(&g, &quant, &options("u250", DeviceCount::Fixed(k))).unwrap();
        assert_eq!(p.devices.len(), k);
        check_partition(&g, &p);
        let mut q = quant.clone();
        p.apply(&mut q);
        let sys = SystemInstance::new(system::map_model(&g, &q, &w).unwrap());
        assert_eq!(
            sys.item_interval(),
            p.interval_cycles,
            "planned interval vs the stitched system's estimate ({k} devices)"
        );
        // The interface the netlist splitter reads.
        let part = p.partition();
        assert_eq!(part.devices.len(), k);
        assert_eq!(part.device_of("output"), Some(k - 1));
    }
    // Applying is additive: nodes keep their keys.
    let p = plan(&g, &quant, &options("u250", DeviceCount::Fixed(1))).unwrap();
    let before: Vec<Vec<&str>> = quant
        .parallelism
        .values()
        .map(|m| m.keys().copied().collect())
        .collect();
    p.apply(&mut quant);
    let after: Vec<Vec<&str>> = quant
        .parallelism
        .values()
        .map(|m| m.keys().copied().collect())
        .collect();
    assert_eq!(before, after);
}

/// The planner's buffer budget against the stitched netlist: every FIFO the netlist
/// builder puts on a reconvergent path, at its depth and width, on the device of its
/// consumer, plus one link receive buffer per stream over the upstream cut.
#[test]
fn planned_fifo_memory_matches_the_stitched_netlist() {
    let g = model::json::from_json(TINY).unwrap();
    let w = Weights::synthetic_with(&g, 0, &SyntheticInit::bert());
    let cfg = QuantConfig::from_toml(TINY_Q).unwrap();
    let quant = system::map::resolve(&g, &cfg, &w, 0, 2).unwrap();
    for (k, cuts) in [(2, CutPolicy::SingleStream), (3, CutPolicy::Any)] {
        let mut o = options("u250", DeviceCount::Fixed(k));
        o.cuts = cuts;
        let p = plan(&g, &quant, &o).unwrap();
        let mut q = quant.clone();
        p.apply(&mut q);
        let sys = SystemInstance::new(system::map_model(&g, &q, &w).unwrap());
        assert!(
            !sys.net.fifos.is_empty(),
            "bert-tiny has reconvergent FIFOs"
        );
        let part = p.partition();
        let mut bram = vec![0u64; k];
        for (inst, depth, _) in &sys.net.fifos {
            let node = sys
                .net
                .nodes
                .iter()
                .find(|n| format!("u_{}", n.name) == *inst)
                .unwrap();
            let bits = u64::from(node.inst.streams()[0].data_width());
            let d = part.device_of(&node.source).unwrap();
            bram[d] += generator::resources::memory(bits, *depth as u64, None)
                .1
                .bram36;
        }
        let link = system::split::LinkParams::default();
        let rx = generator::resources::memory(link.word_width as u64, link.credits, None).1;
        for (d, dev) in p.devices.iter().enumerate() {
            let streams = if d == 0 {
                0
            } else {
                p.cuts[d - 1].tensors.len() as u64
            };
            assert_eq!(
                dev.buffers.bram36,
                bram[d] + streams * rx.bram36,
                "device {d} of {k}: planned buffer BRAM vs the netlist's FIFOs"
            );
        }
    }
}

#[test]
fn bert_base_auto_on_u250_reaches_eighty_percent_single_stream_and_ninety_with_cuts_anywhere() {
    let g = model::json::from_json(BASE).unwrap();
    let quant = widths_only(&g, BASE_Q);
    let p = plan(&g, &quant, &options("u250", DeviceCount::Auto { max: 16 })).unwrap();
    check_partition(&g, &p);
    // Roofline recomputed here from the graph: MACs of linear and matmul nodes.
    let macs: u64 = g
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                n.op,
                model::graph::Op::Linear { .. } | model::graph::Op::Matmul { .. }
            )
        })
        .map(|n| {
            let k = g.node(&n.inputs[0]).unwrap().shape.last().copied().unwrap() as u64;
            n.shape.iter().product::<usize>() as u64 * k
        })
        .sum();
    assert_eq!(macs, p.work_macs);
    let board = system::board::find("u250").unwrap();
    let roof = macs as f64 / (board.usable_of(board.dsp) * p.devices.len() as u64) as f64;
    // Every node's cycles at its lanes, recomputed from the graph.
    let slowest = p
        .nodes
        .iter()
        .map(|n| {
            n.work
                .div_ceil(n.lanes.values().map(|&l| l as u64).product())
        })
        .max()
        .unwrap();
    assert_eq!(slowest, p.interval_cycles);
    // Cuts are only where one stream is live (the splitter cannot carry a residual
    // across devices), at half-layer granularity: 82% of the roofline on 5 devices
    // (92.5% with cuts inside residual blocks). The 90% is not reached.
    assert!(
        roof / slowest as f64 >= 0.80,
        "{} devices: {} cycles vs roofline {roof:.0}",
        p.devices.len(),
        slowest
    );
    assert!(
        p.devices.len() >= 2,
        "bert-base's 8-bit weights exceed one U250"
    );
    // Every device holds its reconvergent FIFOs within budget.
    assert!(p.devices.iter().all(|d| d.buffers.bram36 > 0));
    // With cuts inside residual blocks (several streams per cut, multiplexed on one
    // port): 90% of the roofline.
    let mut o = options("u250", DeviceCount::Auto { max: 16 });
    o.cuts = CutPolicy::Any;
    let p = plan(&g, &quant, &o).unwrap();
    check_partition(&g, &p);
    let roof = macs as f64 / (board.usable_of(board.dsp) * p.devices.len() as u64) as f64;
    let slowest = p
        .nodes
        .iter()
        .map(|n| {
            n.work
                .div_ceil(n.lanes.values().map(|&l| l as u64).product())
        })
        .max()
        .unwrap();
    assert_eq!(slowest, p.interval_cycles);
    assert!(
        roof / slowest as f64 >= 0.90,
        "{} devices, cuts anywhere: {} cycles vs roofline {roof:.0}",
        p.devices.len(),
        slowest
    );
    assert!(p.cuts.iter().any(|c| c.tensors.len() >= 2));
    for c in &p.cuts {
        for l in &c.links {
            assert!(l.gbps <= l.gbps_available, "{l:?}");
        }
    }
}

#[test]
fn configurations_that_cannot_fit_name_the_resource_and_shortfall() {
    let g = model::json::from_json(BASE).unwrap();
    let quant = widths_only(&g, BASE_Q);
    let e = plan(&g, &quant, &options("u250", DeviceCount::Fixed(1)))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("board `u250`: 1 devices provide"), "{e}");
    assert!(e.contains("short by"), "{e}");
    let mut o = options("u250", DeviceCount::Fixed(2));
    o.link_gbps = 0.0;
    let e = plan(&g, &quant, &o).unwrap_err().to_string();
    assert!(e.contains("--link-gbps 0"), "{e}");
}
