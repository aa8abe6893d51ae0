//! `mase-hw gen`: a model (mase-hw model JSON, or a Hugging Face BERT `config.json` or
//! its directory), an optional quantization config and optional weights → a stitched
//! system directory, with its predicted timing, its accuracy against the float model
//! and, with `--verilator`, a bit-exact co-simulation with measured cycles.

use std::path::PathBuf;

use anyhow::Result;
use model::graph::Graph;
use model::weights::Weights;
use system::SystemInstance;

use crate::load::{load_model, read_config};
use crate::plan::{BoardArgs, plan_options, print_plan};
use crate::system_run::{self, FloatSpec, Init, sample_items};
use crate::{check_top, user};

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
    let config = read_config(a.config.as_deref())?;
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
        Some((m, _, _)) => crate::gen_timing::simulate_multi(&b.sys, m),
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
                    "; link to device {}: {}{} words per item",
                    d + 1,
                    c.streams
                        .iter()
                        .map(|s| format!(
                            "`{}` {} lanes x {} bits, ",
                            s.tensor, s.lanes, s.lane_width
                        ))
                        .collect::<String>(),
                    c.item_words()
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
