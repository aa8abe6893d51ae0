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
    let mut lap = |stages: &mut Stages, name: &'static str| {
        stages.push((name, t.elapsed().as_secs_f64()));
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
    let plan = match &real_items {
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
    let sys = SystemInstance::new(system::map_model(&hw_graph, &plan, hw_w).map_err(user)?);
    drop(hw_weights);
    lap(stages, "map");
    let top = match &a.top {
        Some(t) => t.clone(),
        None => default_top(&graph.name),
    };
    check_top(&top)?;
    let mut files = system::emit::render(&sys, &top).map_err(user)?;
    files.insert("model.json".into(), model::json::to_json(&graph));
    files.insert("float.json".into(), spec.to_json());
    lap(stages, "render");
    Ok(Built {
        graph,
        weights,
        checkpoint,
        sys,
        top,
        files,
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
    generator::emit::write_dir(&b.files, &a.output)?;
    println!(
        "wrote {} files to {} (top {}) in {:.2} s",
        b.files.len(),
        a.output.display(),
        b.top,
        started.elapsed().as_secs_f64()
    );
    system_run::summary(&b.sys);
    if let (true, Some(x)) = (a.verilator, &eval) {
        system_run::verilator(&b.sys, x, None)?;
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
