//! What `mase-hw gen` and `mase-hw sim system` share: the printed summary of a
//! system, its accuracy against the float model (output and, if asked, every node),
//! a Verilator run with its cycle counts, and `float.json`, which tells `sim system`
//! how to rebuild the float weights of a generated directory.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use generator::{Instance, Tensor, TensorMap};
use model::graph::{Graph, Op};
use model::weights::{SyntheticInit, Weights};
use serde::{Deserialize, Serialize};
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};

use crate::CheckFailed;
use crate::user;

/// Where the float weights of a generated system came from (`float.json`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum FloatSpec {
    /// Seeded synthetic weights: rebuilt exactly.
    Synthetic { seed: u64, init: Init },
    /// A weights file (its name only; pass it to `sim system --weights`).
    File { name: String },
}

impl FloatSpec {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// The float model of a generated directory, if it can be rebuilt: `model.json` with
/// the weights `float.json` names (synthetic) or `weights` (a file).
///
/// # Errors
/// Malformed `model.json`/`float.json`, unreadable weights.
pub fn float_model(dir: &Path, weights: Option<&PathBuf>) -> Result<Option<(Graph, Weights)>> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read_to_string(&p).map_err(|e| crate::user(format!("{}: {e}", p.display())))
    };
    let graph = model::json::from_json(&read("model.json")?)
        .map_err(|e| crate::user(format!("{}: {e}", dir.join("model.json").display())))?;
    let spec: FloatSpec = serde_json::from_str(&read("float.json")?)
        .map_err(|e| crate::user(format!("{}: {e}", dir.join("float.json").display())))?;
    let w = match (weights, spec) {
        (Some(p), _) => {
            let skip = crate::calib::Checkpoint::beside(p)
                .map(|c| c.skipped_layers(&graph))
                .unwrap_or_default();
            Weights::load_skipping(p, &graph, &skip).map_err(crate::user)?
        }
        (None, FloatSpec::Synthetic { seed, init }) => {
            Weights::synthetic_with(&graph, seed, &init.synthetic())
        }
        (None, FloatSpec::File { name }) => {
            println!(
                "accuracy vs float: skipped (the design uses weights from `{name}`; pass --weights to compare)"
            );
            return Ok(None);
        }
    };
    Ok(Some((graph, w)))
}

/// Prints the instances by component, the reconvergent FIFOs, timing and resources.
pub fn summary(sys: &SystemInstance) {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for n in &sys.net.nodes {
        *counts.entry(n.inst.component().name()).or_insert(0) += 1;
    }
    let list: Vec<String> = counts.iter().map(|(c, n)| format!("{n} {c}")).collect();
    println!("  {} instances: {}", sys.net.nodes.len(), list.join(", "));
    for (inst, depth, why) in &sys.net.fifos {
        println!("  {inst}: {depth} beats ({why})");
    }
    let mut weights: std::collections::BTreeMap<String, usize> = Default::default();
    for n in &sys.net.nodes {
        if let Some(w) = n.inst.weight_format() {
            *weights.entry(w).or_insert(0) += 1;
        }
    }
    for (w, n) in &weights {
        println!("  weights: {n} × {w}");
    }
    let t = sys.timing();
    let exact = if sys.timing_is_exact() {
        "predicted"
    } else {
        "estimated"
    };
    println!(
        "  {exact}: latency {} cycles (first input beat -> first output beat), {} cycles per item in steady state",
        t.latency,
        sys.item_interval()
    );
    let r = sys.resources();
    let sum =
        |f: &dyn Fn(&str) -> bool| -> u64 { r.iter().filter(|(k, _)| f(k)).map(|(_, v)| v).sum() };
    println!(
        "  resources: {} multipliers, {} ROM bits, {} buffer/FIFO bits, {} table bits",
        sum(&|k| k == "multipliers"),
        sum(&|k| k.ends_with("rom_bits")),
        sum(&|k| k.ends_with("buffer_bits") || k.ends_with("fifo_bits") || k == "memory_bits"),
        sum(&|k| k.ends_with("table_bits"))
    );
}

/// What [`accuracy`] measured.
pub struct Figures {
    pub items: usize,
    /// Cosine of the model output (all items together) vs float.
    pub cosine: f64,
    pub max_abs_error: f64,
    /// The lowest per-item cosine of the model output.
    pub min_item_cosine: f64,
    /// The lowest per-item cosine of the mean-pooled output (over each item's real
    /// tokens), when the items came from text.
    pub pooled_cosine: Option<f64>,
    /// Per model node, the fraction of clipped elements (`calib::clipped_fraction`).
    pub clipping: Vec<(String, f64)>,
}

impl Figures {
    /// The figure `--min-cosine` is checked against: the lowest of the output cosine
    /// and the pooled cosine.
    pub fn worst(&self) -> f64 {
        self.cosine.min(self.pooled_cosine.unwrap_or(1.0))
    }

    /// The `accuracy` object of `report.json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "items": self.items,
            "cosine": self.cosine,
            "max_abs_error": self.max_abs_error,
            "min_item_cosine": self.min_item_cosine,
            "pooled_cosine": self.pooled_cosine,
            "clipped_fraction": self.clipping.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        })
    }
}

/// Golden model vs float reference on `x` (whose float values are `floats`): the
/// model output, and every node with `per_layer`. The output is compared with the
/// float model as given (exact softmax scales); per-node figures and clipping with the
/// hardware graph (scales folded into the query projections, [`model::fold`]), whose
/// nodes hold the values the hardware computes. `tokens` (real tokens per item) adds
/// the mean-pooled output's cosine.
pub fn accuracy(
    graph: &Graph,
    weights: &Weights,
    sys: &SystemInstance,
    floats: &[Vec<f64>],
    x: &Tensor,
    per_layer: bool,
    tokens: Option<&[usize]>,
) -> Result<(Tensor, Figures)> {
    let (trace, y) = sys.golden_run(&TensorMap::from([("data_in".to_string(), x.clone())]))?;
    let trace = sys.model_trace(trace);
    let acts = float_runs(graph, weights, sys, floats)?;
    let (hw_graph, hw_weights, folds) =
        model::fold::fold_softmax_scales(graph, weights, &system::map::exact_scale);
    let hw_acts = match &hw_weights {
        Some(w) => float_runs(&hw_graph, w, sys, floats)?,
        None => acts.clone(),
    };
    let real = |t: &Tensor| -> Vec<f64> { t.raw.iter().map(|r| t.format.to_f64(*r)).collect() };
    let gather = |acts: &[model::float::Activations], node: &str| -> Option<Vec<f64>> {
        let mut v = Vec::new();
        for a in acts {
            v.extend_from_slice(&a.get(node)?.data);
        }
        Some(v)
    };
    // The input itself is quantized with saturation: its clipping comes first.
    let input_ref: Vec<f64> = floats.iter().flatten().copied().collect();
    let mut clipping = vec![(
        sys.net.input_name.clone(),
        crate::calib::clipped_fraction(x, &input_ref),
    )];
    if per_layer {
        println!("  per node (golden vs float, {} items):", floats.len());
        if !folds.is_empty() {
            println!(
                "    ({} softmax scales folded into the query projections: those nodes are compared with the scaled float values)",
                folds.len()
            );
        }
    }
    for (node, t) in &trace {
        if let Some(r) = gather(&hw_acts, node) {
            let clip = crate::calib::clipped_fraction(t, &r);
            clipping.push((node.clone(), clip));
            if per_layer {
                let acc = model::float::compare(&real(t), &r);
                println!(
                    "    {node:<52} {:<8} cosine {:.8}  max abs {:.3e}  clipped {:.4}%",
                    t.format.to_string(),
                    acc.cosine,
                    acc.max_abs_error,
                    clip * 100.0
                );
            }
        }
    }
    let out = &sys.net.output_name;
    let r = gather(&acts, out).ok_or_else(|| anyhow!("float run has no `{out}`"))?;
    let yv = real(&y);
    let acc = model::float::compare(&yv, &r);
    let items = floats.len().max(1);
    let per = yv.len() / items;
    let h = sys.net.output_shape.last().copied().unwrap_or(1).max(1);
    let (mut min_item, mut pooled) = (1.0f64, None::<f64>);
    for k in 0..items {
        let (a, b) = (&yv[k * per..(k + 1) * per], &r[k * per..(k + 1) * per]);
        min_item = min_item.min(model::float::compare(a, b).cosine);
        if let Some(n) = tokens.and_then(|t| t.get(k)) {
            let (pa, pb) = (
                model::text::mean_pool(a, h, *n),
                model::text::mean_pool(b, h, *n),
            );
            let c = model::float::compare(&pa, &pb).cosine;
            pooled = Some(pooled.map_or(c, |p| p.min(c)));
        }
    }
    println!(
        "accuracy vs float ({} items): cosine {:.8} (lowest item {:.8}), max abs error {:.3e}",
        floats.len(),
        acc.cosine,
        min_item,
        acc.max_abs_error
    );
    if !acc.cosine.is_finite() || !acc.max_abs_error.is_finite() {
        let bad = r.iter().filter(|x| !x.is_finite()).count();
        return Err(anyhow!(CheckFailed(format!(
            "accuracy vs float: cosine is {} ({bad} of {} float outputs are not finite, or one side is all zero): the weights do not fit the model",
            acc.cosine,
            r.len()
        ))));
    }
    if let Some(p) = pooled {
        println!("accuracy vs float: mean-pooled sentence embedding, lowest item cosine {p:.8}");
    }
    crate::calib::print_clipping(&clipping);
    Ok((
        y,
        Figures {
            items: floats.len(),
            cosine: acc.cosine,
            max_abs_error: acc.max_abs_error,
            min_item_cosine: min_item,
            pooled_cosine: pooled,
            clipping,
        },
    ))
}

/// Exit 1 (a failed check) when `figures` fall below `min_cosine`.
pub fn check_min_cosine(figures: Option<&Figures>, min_cosine: Option<f64>) -> Result<()> {
    let (Some(f), Some(min)) = (figures, min_cosine) else {
        return Ok(());
    };
    if f.worst() < min {
        return Err(anyhow!(CheckFailed(format!(
            "accuracy vs float: cosine {:.8} is below --min-cosine {min}",
            f.worst()
        ))));
    }
    println!(
        "accuracy vs float: cosine {:.8} >= --min-cosine {min}",
        f.worst()
    );
    Ok(())
}

/// Measured figures of one Verilator run.
pub struct Measured {
    pub output: Tensor,
    /// First input beat to the last output beat of the first item.
    pub first_item_cycles: Option<u64>,
    /// First input beat to the last output beat of the last item.
    pub total_cycles: Option<u64>,
    /// Cycles between the last output beats of consecutive items (steady state).
    pub cycles_per_item: Option<f64>,
    pub latency: Option<u64>,
    pub wall_secs: f64,
    pub build_secs: f64,
    /// Every netlist edge's observed valid and handshake cycles (monitored runs only:
    /// [`verilator_monitored`]; empty otherwise).
    pub probes: Vec<testbenches::monitor::ProbeLog>,
}

/// Runs `x` through the system in Verilator with no stalls, items back to back, and
/// checks every beat against the golden model.
///
/// # Errors
/// No Verilator, a build failure, or a mismatch ([`CheckFailed`]).
pub fn verilator(sys: &SystemInstance, x: &Tensor, waves: Option<&Path>) -> Result<Measured> {
    verilator_stalled(sys, x, waves, Stall::None, 1)
}

/// [`verilator`] under a boundary stall pattern (the fast engine's `--stalls`/`--seed`).
pub fn verilator_stalled(
    sys: &SystemInstance,
    x: &Tensor,
    waves: Option<&Path>,
    stall: Stall,
    seed: u64,
) -> Result<Measured> {
    verilator_of_stalled(sys, sys.rom_tensors(), x, waves, stall, seed, None)
}

/// [`verilator_stalled`] on the system wrapped in its monitor (`system::monitor`, a
/// separately cached build): the result also holds every netlist edge's handshakes.
pub fn verilator_monitored(
    sys: &SystemInstance,
    x: &Tensor,
    waves: Option<&Path>,
    stall: Stall,
    seed: u64,
) -> Result<Measured> {
    let wrapper = sys.monitor_top("mh_dut", "mh_monitor");
    let monitor = testbenches::monitor::Monitor {
        wrapper: &wrapper,
        valid_port: system::monitor::VALID_PORT,
        fire_port: system::monitor::FIRE_PORT,
    };
    verilator_of_stalled(
        sys,
        sys.rom_tensors(),
        x,
        waves,
        stall,
        seed,
        Some(&monitor),
    )
}

/// [`verilator`] for any system-like instance (a split system: every device joined by
/// link models) with its ROM tensors `roms`.
pub fn verilator_of(
    sys: &dyn Instance,
    roms: TensorMap,
    x: &Tensor,
    waves: Option<&Path>,
) -> Result<Measured> {
    verilator_of_stalled(sys, roms, x, waves, Stall::None, 1, None)
}

/// [`verilator_of`] under the stall pattern `stall` drawn from `seed`.
pub fn verilator_of_stalls(
    sys: &dyn Instance,
    roms: TensorMap,
    x: &Tensor,
    waves: Option<&Path>,
    stall: Stall,
    seed: u64,
) -> Result<Measured> {
    verilator_of_stalled(sys, roms, x, waves, stall, seed, None)
}

fn verilator_of_stalled(
    sys: &dyn Instance,
    roms: TensorMap,
    x: &Tensor,
    waves: Option<&Path>,
    stall: Stall,
    seed: u64,
    monitor: Option<&testbenches::monitor::Monitor<'_>>,
) -> Result<Measured> {
    let v = crate::progress::verilator()?;
    let mut inputs = roms;
    inputs.insert("data_in".into(), x.clone());
    let expected = sys.golden(&inputs)?;
    let t0 = std::time::Instant::now();
    let dut = match monitor {
        Some(m) => Dut::build_monitored(&v, sys, m, waves.is_some())?,
        None => Dut::build(&v, sys, waves.is_some())?,
    };
    let build_secs = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let spin = crate::progress::Spinner::new("Verilator");
    spin.set(&format!(
        "simulating {} item(s)",
        x.shape.first().copied().unwrap_or(1)
    ));
    let out = dut.run(&inputs, &expected, stall, seed, waves)?;
    drop(spin);
    let wall_secs = t1.elapsed().as_secs_f64();
    if !out.passed() {
        let why = match &out.first_mismatch {
            Some(m) => format!("Verilator differs from the golden model: {m}"),
            None => format!("Verilator run failed: {}", out.errors.join("; ")),
        };
        return Err(anyhow!(CheckFailed(why)));
    }
    let y = &expected["data_out"];
    let items = y.shape.first().copied().unwrap_or(1).max(1);
    let lanes = sys.streams()[1].lanes.max(1);
    let beats_per_item = y.raw.len() / items / lanes;
    let fires = &out.ii_fires;
    let last_of = |k: usize| fires.get((k + 1) * beats_per_item - 1).copied();
    let start = out.first_input;
    let since = |c: Option<u64>| c.zip(start).map(|(c, s)| c - s);
    let m = Measured {
        output: y.clone(),
        first_item_cycles: since(last_of(0)),
        total_cycles: since(last_of(items - 1)),
        cycles_per_item: (items >= 2)
            .then(|| last_of(items - 1).zip(last_of(0)))
            .flatten()
            .map(|(b, a)| (b - a) as f64 / (items - 1) as f64),
        latency: out.latency,
        wall_secs,
        build_secs,
        probes: out.probes.clone(),
    };
    let show = |c: Option<u64>| c.map_or("-".to_string(), |c| c.to_string());
    println!(
        "verilator: {items} items bit-exact ({} beats); latency {} cycles; first input beat -> last output beat {} cycles (first item), {} (all)",
        out.beats_compared,
        show(m.latency),
        show(m.first_item_cycles),
        show(m.total_cycles)
    );
    if let Some(c) = m.cycles_per_item {
        println!(
            "verilator: back to back {c:.1} cycles per item in steady state ({:.0} items/s at 250 MHz)",
            250e6 / c
        );
    }
    println!(
        "verilator: build {:.1} s, simulation {:.2} s wall ({} cycles)",
        m.build_secs, m.wall_secs, out.cycles
    );
    Ok(m)
}

/// Scale of synthetic weights.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// `bert` for models with attention (`matmul`), `he` otherwise.
    Auto,
    /// He (std √(2/fan_in)): realistic for ReLU networks.
    He,
    /// BERT's std 0.02, γ = 1, β = 0.
    Bert,
}

impl Init {
    /// The concrete initialisation for `graph`.
    pub fn resolve(self, graph: &Graph) -> Init {
        match self {
            Init::Auto
                if graph
                    .nodes
                    .iter()
                    .any(|n| matches!(n.op, Op::Matmul { .. })) =>
            {
                Init::Bert
            }
            Init::Auto => Init::He,
            other => other,
        }
    }
    pub fn synthetic(self) -> SyntheticInit {
        match self {
            Init::Bert => SyntheticInit::bert(),
            _ => SyntheticInit::he(),
        }
    }
}

/// `items` seeded N(0, 1) model inputs (seeds `seed + 1000 …`): float values and the
/// quantized tensor `[items, ..input shape]`.
pub fn sample_items(
    graph: &Graph,
    sys: &SystemInstance,
    seed: u64,
    items: usize,
) -> Result<(Vec<Vec<f64>>, Tensor)> {
    system::inputs::synthetic(graph, sys, seed.wrapping_add(1000), items).map_err(user)
}

/// The float reference's per-node activations for every item.
pub fn float_runs(
    graph: &Graph,
    weights: &Weights,
    sys: &SystemInstance,
    floats: &[Vec<f64>],
) -> Result<Vec<model::float::Activations>> {
    floats
        .iter()
        .map(|f| {
            let ins = [(
                sys.net.input_name.clone(),
                model::tensor::Tensor {
                    shape: sys.net.input_shape.clone(),
                    data: f.clone(),
                },
            )]
            .into();
            Ok(model::float::run(graph, weights, &ins)?)
        })
        .collect()
}
