//! `mase-hw gen`: a model (mase-hw model JSON, or a Hugging Face BERT `config.json` or
//! its directory), an optional quantization config and optional weights → a stitched
//! system directory, with its predicted timing, its accuracy against the float model
//! and, with `--verilator`, a bit-exact co-simulation with measured cycles.

use std::path::{Path, PathBuf};

use anyhow::Result;
use generator::Tensor;
use model::graph::{Graph, Op};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use system::SystemInstance;

use crate::system_run::{self, FloatSpec};
use crate::{check_top, user};

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

#[derive(clap::Args)]
pub struct GenArgs {
    /// Model: mase-hw model JSON (docs/model-json.md), a Hugging Face BERT / RoBERTa /
    /// DistilBERT `config.json`, or a directory holding `config.json` (and
    /// `model.safetensors`, used unless --weights is given; `tokenizer.json` for text).
    #[arg(long)]
    pub model: PathBuf,
    /// Tokens per sequence when the model is a Hugging Face config.
    #[arg(long, default_value_t = 128)]
    pub seq_len: usize,
    /// Keep only the first N encoder layers of a Hugging Face model (the checkpoint's
    /// later layers are skipped).
    #[arg(long, value_name = "N")]
    pub layers: Option<usize>,
    /// Quantization and parallelism config (TOML, docs/model-json.md); default: 16 bits,
    /// frac auto, RND, SAT, parallelism 1.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Weights (safetensors, f32/f16/bf16, Hugging Face BERT names with or without
    /// `bert.`); default: seeded synthetic weights.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Scale of synthetic weights.
    #[arg(long, value_enum, default_value_t = Init::Auto)]
    pub init: Init,
    /// Seed of synthetic weights, calibration and accuracy inputs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Model inputs (samples or sequences) the activation ranges are calibrated on
    /// (default: as many as fit a budget of 2^26 multiply-adds, 1..=64).
    #[arg(long)]
    pub calibration: Option<u64>,
    /// Calibrate on these model inputs instead of synthetic ones:
    /// {"data_in": {"shape": [items.., ..input shape], "values": [..]}} (the real-number
    /// form of `sim system --inputs`).
    #[arg(long, value_name = "FILE", conflicts_with = "calibration_text")]
    pub calibration_inputs: Option<PathBuf>,
    /// Calibrate on sentences (one per line), tokenized with the checkpoint's
    /// tokenizer.json and embedded on the host (Hugging Face directories only).
    #[arg(long, value_name = "FILE")]
    pub calibration_text: Option<PathBuf>,
    /// Calibration range of each node: the q-quantile of its absolute values per input
    /// (maximised over the inputs); 1 is the max-abs rule.
    #[arg(long, value_name = "Q", default_value_t = 1.0)]
    pub calibration_quantile: f64,
    /// Measure accuracy (and run Verilator) on these sentences (one per line) instead of
    /// synthetic inputs (Hugging Face directories only).
    #[arg(long, value_name = "FILE", conflicts_with = "items")]
    pub eval_text: Option<PathBuf>,
    /// Exit 1 when the output cosine vs float (or, with --eval-text, the mean-pooled
    /// one) is below X.
    #[arg(long, value_name = "X")]
    pub min_cosine: Option<f64>,
    /// Output directory (written atomically).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Name of the top module (default `mh_<model name>`).
    #[arg(long)]
    pub top: Option<String>,
    /// Model inputs (samples or sequences) for the accuracy figures and the Verilator run
    /// (default: 4, fewer for models where that exceeds 2^26 multiply-adds; at least 1).
    #[arg(long, alias = "rows")]
    pub items: Option<usize>,
    /// Print the accuracy of every model node's output, not only the model output.
    #[arg(long)]
    pub per_layer: bool,
    /// Skip the accuracy run (golden model vs float on --items inputs).
    #[arg(long)]
    pub no_accuracy: bool,
    /// Also write report.html (see `mase-hw report`).
    #[arg(long)]
    pub report: bool,
    /// Also co-simulate in Verilator: bit-exact check, measured cycles and throughput.
    #[arg(long)]
    pub verilator: bool,
    #[command(flatten)]
    pub budget: crate::budget::BudgetArgs,
    /// Fold and partition for a board (docs/partitioning.md).
    #[command(flatten)]
    pub board: BoardArgs,
}

/// The multi-device planning options of `gen` and `plan`.
#[derive(clap::Args, Clone)]
pub struct BoardArgs {
    /// Board of the device catalog (fpga/boards): with it, every node's lanes are
    /// chosen by the planner (overriding the config's parallelism).
    #[arg(long)]
    pub board: Option<String>,
    /// Device count: a number, or `auto` (the count with the best throughput per
    /// device, or the fewest reaching --target).
    /// Without `--board`: split the config's design over N U250s at balanced
    /// single-stream cuts and write per-device Vivado projects (`DIR/fpga/`).
    #[arg(long)]
    pub devices: Option<String>,
    /// Clock of every device in MHz (default: the board's).
    #[arg(long)]
    pub clock: Option<f64>,
    /// Line rate of one inter-device link port in Gb/s (QSFP28: 100), before 64B/66B.
    #[arg(long, default_value_t = 100.0)]
    pub link_gbps: f64,
    /// Link ports between neighbouring devices.
    #[arg(long, default_value_t = 1)]
    pub links: u32,
    /// Items (sequences) per second to reach; with `--devices auto`, the fewest devices
    /// that reach it.
    #[arg(long)]
    pub target: Option<f64>,
    /// Largest device count `auto` tries.
    #[arg(long, default_value_t = 16)]
    pub max_devices: usize,
    /// Where the planner may cut: `single` (one live stream, what `gen` builds) or
    /// `any` (also inside residual blocks, several streams per cut; `plan` only).
    #[arg(long, value_enum, default_value_t = Cuts::Single)]
    pub cuts: Cuts,
}

/// `--cuts`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cuts {
    #[default]
    Single,
    Any,
}

/// `mase-hw plan`: the dry run of `gen --board`.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// Model (as for `gen`).
    #[arg(long)]
    pub model: PathBuf,
    /// Tokens per sequence when the model is a Hugging Face config.
    #[arg(long, default_value_t = 128)]
    pub seq_len: usize,
    /// Quantization config (only widths matter here).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub board: BoardArgs,
    /// Also print every node's lanes and cycles.
    #[arg(long)]
    pub nodes: bool,
}

/// The planner options from the command line.
pub fn plan_options(b: &BoardArgs) -> Result<Option<system::plan::PlanOptions>> {
    let Some(name) = &b.board else {
        return Ok(None);
    };
    let board = system::board::find(name).map_err(user)?;
    let devices_arg = b.devices.as_deref().unwrap_or("auto");
    let devices = if devices_arg == "auto" {
        if b.max_devices == 0 {
            return Err(user("--max-devices: must be at least 1"));
        }
        system::plan::DeviceCount::Auto { max: b.max_devices }
    } else {
        match devices_arg.parse::<usize>() {
            Ok(n) if n >= 1 => system::plan::DeviceCount::Fixed(n),
            _ => {
                return Err(user(format!(
                    "--devices {devices_arg}: must be a count ≥ 1 or `auto`"
                )));
            }
        }
    };
    if b.links == 0 {
        return Err(user("--links: must be at least 1"));
    }
    if let Some(t) = b.target
        && !(t > 0.0 && t.is_finite())
    {
        return Err(user(format!("--target {t}: must be a positive rate")));
    }
    Ok(Some(system::plan::PlanOptions {
        clock_mhz: b.clock.unwrap_or(board.clock_mhz),
        board,
        devices,
        link_gbps: b.link_gbps,
        links_per_cut: b.links,
        target_items_per_s: b.target,
        cuts: match b.cuts {
            Cuts::Single => system::plan::CutPolicy::SingleStream,
            Cuts::Any => system::plan::CutPolicy::Any,
        },
    }))
}

fn read_config(path: Option<&Path>) -> Result<QuantConfig> {
    Ok(match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| user(format!("{}: {e}", p.display())))?;
            QuantConfig::from_toml(&text).map_err(|e| user(format!("{}: {e}", p.display())))?
        }
        None => QuantConfig::default(),
    })
}

/// `mase-hw plan`: formats from the config (fractional widths do not matter, so
/// `"auto"` is resolved as 0 without calibrating), then the plan, printed.
pub fn plan_only(a: &PlanArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let graph = load_model(&a.model, a.seq_len, None)?.graph;
    let mut config = read_config(a.config.as_deref())?;
    let fixed = |s: &mut model::quant::Spec| {
        if s.frac.is_some() {
            s.frac = Some(model::quant::Frac::Bits(0));
        }
    };
    fixed(&mut config.default);
    config.nodes.values_mut().for_each(fixed);
    config.tensors.values_mut().for_each(fixed);
    if let Some(w) = config.weights.as_mut() {
        fixed(w);
    }
    let quant = config.resolve(&graph, None, None).map_err(user)?;
    let Some(opts) = plan_options(&a.board)? else {
        return Err(user("plan: --board is required"));
    };
    let p = system::plan::plan(&graph, &quant, &opts).map_err(user)?;
    print_plan(&p, a.nodes);
    println!("planned in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The printed summary of a plan.
pub fn print_plan(p: &system::plan::SystemPlan, nodes: bool) {
    println!(
        "plan: {} on {} × {} at {} MHz (tried: {})",
        p.model,
        p.devices.len(),
        p.board,
        p.clock_mhz,
        p.tried
            .iter()
            .map(|(k, i)| match i {
                Some(i) => format!("{k} → {i} cycles"),
                None => format!("{k} → does not fit"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, d) in p.devices.iter().enumerate() {
        let r = &d.resources;
        let b = &d.budget;
        let pct = |u: u64, c: u64| u as f64 / c.max(1) as f64 * 100.0;
        let layers = match (d.layers.first(), d.layers.last()) {
            (Some(f), Some(l)) if f != l => format!("{f} … {l}"),
            (Some(f), _) => f.clone(),
            _ => "-".into(),
        };
        println!(
            "  device {i}: {} nodes ({} .. {}), layers {}",
            d.nodes.len(),
            d.nodes.first().map_or("", String::as_str),
            d.nodes.last().map_or("", String::as_str),
            layers
        );
        println!(
            "    DSP {}/{} ({:.0}%)  LUT {}/{} ({:.0}%)  FF {}/{} ({:.0}%)  BRAM36 {}/{} ({:.0}%)  URAM {}/{} ({:.0}%)",
            r.dsp,
            b.dsp,
            pct(r.dsp, b.dsp),
            r.lut,
            b.lut,
            pct(r.lut, b.lut),
            r.ff,
            b.ff,
            pct(r.ff, b.ff),
            r.bram36,
            b.bram36,
            pct(r.bram36, b.bram36),
            r.uram,
            b.uram,
            pct(r.uram, b.uram)
        );
        let f = &d.buffers;
        if f.bram36 + f.uram + f.lut > 0 {
            println!(
                "    of which buffers (reconvergent FIFOs, link receive): BRAM36 {} URAM {} LUT {}",
                f.bram36, f.uram, f.lut
            );
        }
        println!(
            "    slowest node {} at {} cycles/item; {}-bound (tightest {} {:.0}%)",
            d.slowest_node,
            d.cycles,
            d.bound,
            d.tightest,
            d.tightest_fraction * 100.0
        );
    }
    for c in &p.cuts {
        println!(
            "  link after {}: {} tensor(s), {} bits/item, {:.2} of {:.1} Gb/s",
            c.after,
            c.tensors.len(),
            c.bits_per_item,
            c.gbps,
            c.gbps_available
        );
        for l in &c.links {
            println!(
                "    port {}: {} ({} bits/item) {:.2} of {:.1} Gb/s{}",
                l.port,
                l.tensors.join(" + "),
                l.bits_per_item,
                l.gbps,
                l.gbps_available,
                if l.tensors.len() > 1 {
                    ", multiplexed"
                } else {
                    ""
                }
            );
        }
    }
    println!(
        "  throughput {:.1} items/s ({:.0} tokens/s), interval {} cycles; latency ≤ {:.1} µs (every node's item time in sequence)",
        p.items_per_s,
        p.tokens_per_s,
        p.interval_cycles,
        p.latency_upper_s * 1e6
    );
    println!(
        "  roofline {:.0} cycles/item ({} MACs ÷ {} usable DSPs): {:.1}% of roofline",
        p.roofline_cycles,
        p.work_macs,
        p.devices.iter().map(|d| d.budget.dsp).sum::<u64>(),
        p.roofline_fraction * 100.0
    );
    println!("  bottleneck: {}", p.bottleneck);
    if let Some(n) = &p.netlist {
        println!(
            "  stitched system estimate: {} cycles per item, latency {} cycles ({:.2} ms)",
            n.interval_cycles,
            n.latency_cycles,
            n.latency_s * 1e3
        );
        for (i, r) in n.devices.iter().enumerate() {
            println!(
                "    device {i} instances (incl. forks, FIFOs, converters; memories as BRAM): DSP {} LUT {} FF {} BRAM36 {}",
                r.dsp, r.lut, r.ff, r.bram36
            );
        }
    }
    if nodes {
        for n in &p.nodes {
            println!(
                "    {:<48} {:<12} {:?} {} cycles, {} DSP",
                n.name, n.op, n.lanes, n.cycles, n.resources.dsp
            );
        }
    }
}

/// A model and where its weights come from.
pub struct Loaded {
    pub graph: Graph,
    /// `model.safetensors` found beside a Hugging Face `config.json`.
    pub found_weights: Option<PathBuf>,
    /// The Hugging Face checkpoint (config before `--layers`, directory).
    pub checkpoint: Option<crate::calib::Checkpoint>,
}

/// Reads `path` as mase-hw model JSON, a Hugging Face `config.json`, or a directory
/// holding one.
///
/// # Errors
/// Unreadable or malformed files, unsupported configs, naming the file and field.
pub fn load_model(path: &Path, seq_len: usize, layers: Option<usize>) -> Result<Loaded> {
    let (config, dir) = if path.is_dir() {
        (path.join("config.json"), Some(path.to_path_buf()))
    } else {
        (path.to_path_buf(), None)
    };
    let text =
        std::fs::read_to_string(&config).map_err(|e| user(format!("{}: {e}", config.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| user(format!("{}: invalid JSON: {e}", config.display())))?;
    if value.get("model_type").is_none() && dir.is_none() {
        if layers.is_some() {
            return Err(user("--layers: only for Hugging Face models"));
        }
        let graph = model::json::from_json(&text)
            .map_err(|e| user(format!("{}: {e}", config.display())))?;
        return Ok(Loaded {
            graph,
            found_weights: None,
            checkpoint: None,
        });
    }
    let full = model::hf::BertConfig::from_json(&text)
        .map_err(|e| user(format!("{}: {e}", config.display())))?;
    let mut cfg = full.clone();
    if let Some(n) = layers {
        cfg.truncate(n)
            .map_err(|e| user(format!("--layers: {e}")))?;
    }
    let stem = dir
        .as_deref()
        .unwrap_or_else(|| config.parent().unwrap_or(Path::new(".")))
        .file_name()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty() && *s != ".")
        .unwrap_or("bert")
        .to_string();
    let graph = model::hf::expand(&cfg, seq_len, &stem)
        .map_err(|e| user(format!("{}: {e}", config.display())))?;
    let found_weights = config
        .parent()
        .map(|d| d.join("model.safetensors"))
        .filter(|p| p.is_file());
    let checkpoint = Some(crate::calib::Checkpoint {
        dir: config.parent().unwrap_or(Path::new(".")).to_path_buf(),
        cfg: full,
    });
    Ok(Loaded {
        graph,
        found_weights,
        checkpoint,
    })
}

/// Calibration inputs within a budget of 2^26 multiply-adds (1..=64).
fn default_calibration(graph: &Graph) -> u64 {
    let params: usize = graph
        .params
        .iter()
        .map(|p| model::graph::element_count(&p.shape).unwrap_or(usize::MAX))
        .fold(0, usize::saturating_add);
    let rows: usize = graph.inputs().next().map_or(1, |n| {
        model::graph::element_count(&n.shape[..n.shape.len().saturating_sub(1)])
            .unwrap_or(usize::MAX)
    });
    let macs = params.saturating_mul(rows.max(1)).max(1) as u64;
    ((1u64 << 26) / macs).clamp(1, 64)
}

/// A generated system and the files of its directory.
pub struct Built {
    pub graph: Graph,
    pub weights: Weights,
    /// The Hugging Face checkpoint, if the model is one.
    pub checkpoint: Option<crate::calib::Checkpoint>,
    pub sys: SystemInstance,
    pub top: String,
    pub files: generator::emit::FileSet,
    /// The multi-device plan, with `--board`.
    pub plan: Option<system::plan::SystemPlan>,
    /// The split system (more than one device).
    pub multi: Option<(
        system::split::MultiInstance,
        system::plan::Partition,
        system::board::Board,
    )>,
}

/// Stage names and wall seconds of one [`build`].
pub type Stages = Vec<(&'static str, f64)>;

/// Everything `gen` does before writing: model, weights, calibration, mapping,
/// rendering; each stage's wall time is appended to `stages`.
///
/// # Errors
/// Bad input of any kind, naming the file, node or key.
pub fn build(a: &GenArgs, stages: &mut Stages) -> Result<Built> {
    let mut t = std::time::Instant::now();
    let spin = crate::progress::Spinner::new("gen");
    spin.set("load model");
    let mut lap = |stages: &mut Stages, name: &'static str| {
        let secs = t.elapsed().as_secs_f64();
        stages.push((name, secs));
        spin.set(&format!("{name} done ({secs:.1} s)"));
        t = std::time::Instant::now();
    };
    let loaded = load_model(&a.model, a.seq_len, a.layers)?;
    let graph = loaded.graph;
    let checkpoint = loaded.checkpoint;
    graph
        .check_live()
        .map_err(|e| user(format!("{}: {e}", a.model.display())))?;
    // Everything that can be checked without allocating in proportion to the model
    // is checked here, before weights exist and before any file is written.
    let calibration = a.calibration.unwrap_or_else(|| default_calibration(&graph));
    if calibration == 0 {
        return Err(user("--calibration: must be at least 1"));
    }
    let items = gen_items(a, &graph)?;
    if let Some(top) = &a.top {
        check_top(top)?;
    }
    model::budget::check_runs(
        &graph,
        items,
        calibration.saturating_add(items),
        &a.budget.budget(),
    )
    .map_err(|e| user(format!("{}: {e}", a.model.display())))?;
    lap(stages, "load model");
    let weights_path = a.weights.clone().or(loaded.found_weights);
    let init = a.init.resolve(&graph);
    let skip = checkpoint
        .as_ref()
        .map(|c| c.skipped_layers(&graph))
        .unwrap_or_default();
    let (weights, spec) = match &weights_path {
        Some(p) => (
            Weights::load_skipping(p, &graph, &skip).map_err(user)?,
            FloatSpec::File {
                name: p
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            },
        ),
        None => (
            Weights::synthetic_with(&graph, a.seed, &init.synthetic()),
            FloatSpec::Synthetic { seed: a.seed, init },
        ),
    };
    lap(stages, "weights");
    let config = match &a.config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| user(format!("{}: {e}", p.display())))?;
            QuantConfig::from_toml(&text).map_err(|e| user(format!("{}: {e}", p.display())))?
        }
        None => QuantConfig::default(),
    };
    // Softmax scales that are not k/2^f go into the query projections (the hardware
    // graph); `graph` and `weights` stay the float reference.
    let (hw_graph, hw_weights, folds) =
        model::fold::fold_softmax_scales(&graph, &weights, &system::map::exact_scale);
    if !folds.is_empty() {
        println!(
            "folded softmax scale {} into {} query projections",
            folds[0].scale,
            folds.len()
        );
    }
    let hw_w = hw_weights.as_ref().unwrap_or(&weights);
    let q = a.calibration_quantile;
    if !(q > 0.0 && q <= 1.0) {
        return Err(user(format!(
            "--calibration-quantile {q}: must be in (0, 1]"
        )));
    }
    let real_items = calibration_items(a, &graph, checkpoint.as_ref())?;
    let mut plan = match &real_items {
        Some(items) => {
            let ins = crate::calib::as_inputs(&hw_graph, &items.floats);
            system::map::resolve_on(&hw_graph, &config, hw_w, &ins, q).map_err(user)?
        }
        None => {
            if q < 1.0 {
                return Err(user(
                    "--calibration-quantile: needs --calibration-inputs or --calibration-text",
                ));
            }
            system::map::resolve(&hw_graph, &config, hw_w, a.seed, calibration).map_err(user)?
        }
    };
    lap(stages, "calibrate");
    if a.board.cuts == Cuts::Any && a.board.board.is_some() {
        return Err(user(
            "--cuts any: gen builds single-stream cuts only (a cut inside a residual block needs a multiplexed link); use `mase-hw plan --cuts any` for the figure",
        ));
    }
    let system_plan = match plan_options(&a.board)? {
        Some(opts) => {
            let p = system::plan::plan(&hw_graph, &plan, &opts).map_err(user)?;
            p.apply(&mut plan);
            lap(stages, "plan");
            Some(p)
        }
        None => None,
    };
    let sys = SystemInstance::new(system::map_model(&hw_graph, &plan, hw_w).map_err(user)?);
    // More than one device: the planner's partition, or `--devices N` alone.
    let partition = match (&system_plan, &a.board.board, &a.board.devices) {
        (Some(p), _, _) if p.devices.len() > 1 => Some((p.partition(), p.board.clone())),
        (None, None, Some(n)) => {
            let n = n.parse::<usize>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                user(format!(
                    "--devices {n}: must be a count ≥ 1 (`auto` needs --board)"
                ))
            })?;
            (n > 1)
                .then(|| {
                    system::plan::split_by_count(&hw_graph, n, "u250")
                        .map(|p| (p, "u250".to_string()))
                })
                .transpose()
                .map_err(user)?
        }
        _ => None,
    };
    let multi = match partition {
        Some((part, board)) => {
            let board = system::board::find(&board).map_err(user)?;
            let net = system::map_model(&hw_graph, &plan, hw_w).map_err(user)?;
            let m = system::split::split(net, &part, system::split::LinkParams::default())
                .map_err(user)?;
            lap(stages, "split");
            Some((m, part, board))
        }
        None => None,
    };
    drop(hw_weights);
    let system_plan = system_plan.map(|mut p| {
        p.check_netlist(&sys);
        p
    });
    lap(stages, "map");
    let top = match &a.top {
        Some(t) => t.clone(),
        None => default_top(&graph.name),
    };
    check_top(&top)?;
    let mut files = system::emit::render(&sys, &top).map_err(user)?;
    files.insert("model.json".into(), model::json::to_json(&graph));
    files.insert("float.json".into(), spec.to_json());
    if let Some(p) = &system_plan
        && let Some(report) = files.get_mut("report.json")
        && let Ok(mut v) = serde_json::from_str::<serde_json::Value>(report)
    {
        v["plan"] = serde_json::to_value(p).unwrap_or_default();
        *report = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    }
    if let Some((m, part, board)) = &multi {
        files.extend(system::fpga::render(m, part, board).map_err(user)?);
    }
    lap(stages, "render");
    Ok(Built {
        graph,
        weights,
        checkpoint,
        sys,
        top,
        files,
        plan: system_plan,
        multi,
    })
}

/// The real calibration inputs `a` asks for, if any.
fn calibration_items(
    a: &GenArgs,
    graph: &Graph,
    checkpoint: Option<&crate::calib::Checkpoint>,
) -> Result<Option<crate::calib::Items>> {
    if let Some(p) = &a.calibration_inputs {
        let shape = graph
            .inputs()
            .next()
            .map(|n| n.shape.clone())
            .unwrap_or_default();
        return crate::calib::read_values(p, &shape).map(Some);
    }
    let Some(p) = &a.calibration_text else {
        return Ok(None);
    };
    let ck = checkpoint
        .ok_or_else(|| user("--calibration-text: the model must be a Hugging Face directory"))?;
    let s = crate::calib::read_sentences(p)?;
    let refs: Vec<&str> = s.iter().map(String::as_str).collect();
    ck.embed(&refs, a.seq_len).map(Some)
}

pub fn generate(a: GenArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let mut stages = Stages::new();
    let mut b = build(&a, &mut stages)?;
    let t_sim = std::time::Instant::now();
    let timing = match &b.multi {
        Some(_) => crate::gen_timing::estimated(
            &b.sys,
            "multi-device design: gen does not simulate its links",
        ),
        None => crate::gen_timing::simulate(&b.sys),
    };
    let sim_secs = t_sim.elapsed().as_secs_f64();
    crate::gen_timing::add_to_report(&mut b.files, &timing);
    let spin = crate::progress::Spinner::new("gen");
    let mut figures = None;
    let mut eval = None;
    if !a.no_accuracy || a.verilator {
        let (floats, x, tokens) = match &a.eval_text {
            Some(p) => {
                let ck = b.checkpoint.as_ref().ok_or_else(|| {
                    user("--eval-text: the model must be a Hugging Face directory")
                })?;
                let s = crate::calib::read_sentences(p)?;
                let refs: Vec<&str> = s.iter().map(String::as_str).collect();
                let items = ck.embed(&refs, a.seq_len)?;
                let x = crate::calib::quantize(&b.sys, &items.floats)?;
                (items.floats, x, items.tokens)
            }
            None => {
                let items = gen_items(&a, &b.graph)? as usize;
                let (f, x) = sample_items(&b.graph, &b.sys, a.seed, items)?;
                (f, x, None)
            }
        };
        if !a.no_accuracy {
            spin.set("accuracy vs float");
            let (_, f) = system_run::accuracy(
                &b.graph,
                &b.weights,
                &b.sys,
                &floats,
                &x,
                a.per_layer,
                tokens.as_deref(),
            )?;
            add_to_report(&mut b.files, &f);
            figures = Some(f);
        }
        eval = Some(x);
    }
    spin.set("writing files");
    generator::emit::write_dir(&b.files, &a.output)?;
    drop(spin);
    println!(
        "wrote {} files to {} (top {}) in {:.2} s",
        b.files.len(),
        a.output.display(),
        b.top,
        started.elapsed().as_secs_f64()
    );
    system_run::summary(&b.sys);
    crate::gen_timing::print(&timing, sim_secs);
    if let Some(p) = &b.plan {
        print_plan(p, false);
    }
    if let Some((m, _, _)) = &b.multi {
        for (d, s) in m.devices.iter().enumerate() {
            let r = generator::Instance::resources(s);
            println!(
                "  device {d} ({}): {} instances, {} multipliers, {} ROM bits{}",
                m.boards[d],
                s.net.nodes.len(),
                r.get("multipliers").copied().unwrap_or(0),
                r.iter()
                    .filter(|(k, _)| k.ends_with("rom_bits"))
                    .map(|(_, v)| v)
                    .sum::<u64>(),
                m.cuts.get(d).map_or(String::new(), |c| format!(
                    "; link to device {}: `{}`, {} lanes x {} bits, {} words per item",
                    d + 1,
                    c.tensor,
                    c.lanes,
                    c.lane_width,
                    c.item_words
                ))
            );
        }
    }
    if let (true, Some(x)) = (a.verilator, &eval) {
        match &b.multi {
            Some((m, _, _)) => {
                system_run::verilator_of(m, m.rom_tensors(), x, None)?;
            }
            None => {
                system_run::verilator(&b.sys, x, None)?;
            }
        }
    }
    if a.min_cosine.is_some() && figures.is_none() {
        return Err(user(
            "--min-cosine: needs the accuracy run (drop --no-accuracy)",
        ));
    }
    // The process ends here: returning the (for bert-base, gigabytes of) weights and
    // ROM contents page by page would only delay the exit.
    let r = system_run::check_min_cosine(figures.as_ref(), a.min_cosine);
    std::mem::forget(b);
    r
}

/// Adds the accuracy figures and per-node clipping to `report.json` (as its last
/// field, the others keep their order).
fn add_to_report(files: &mut generator::emit::FileSet, f: &system_run::Figures) {
    let Some(text) = files.get("report.json") else {
        return;
    };
    let Some(head) = text.trim_end().strip_suffix('}') else {
        return;
    };
    let acc = serde_json::to_string_pretty(&f.to_json())
        .unwrap_or_default()
        .replace('\n', "\n  ");
    let t = format!("{},\n  \"accuracy\": {acc}\n}}\n", head.trim_end());
    files.insert("report.json".into(), t);
}

/// `mh_<model>`, or `mh_<model>_top` where that names a library module (a model
/// called `linear`).
fn default_top(model: &str) -> String {
    let top = format!("mh_{}", system::netlist::legal_name(model));
    if generator::library::module_names().contains(&top.as_str()) {
        format!("{top}_top")
    } else {
        top
    }
}

/// The model inputs of the accuracy and Verilator runs (0 when neither runs).
fn gen_items(a: &GenArgs, graph: &Graph) -> Result<u64> {
    if a.no_accuracy && !a.verilator {
        return Ok(0);
    }
    match a.items {
        Some(0) => Err(user("--items: must be at least 1")),
        Some(n) => Ok(n as u64),
        None => Ok(default_calibration(graph).min(4)),
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
