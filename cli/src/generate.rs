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
use crate::{is_identifier, user};

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
    /// Model: mase-hw model JSON (docs/model-json.md), a Hugging Face BERT `config.json`,
    /// or a directory holding `config.json` (and `model.safetensors`, used unless
    /// --weights is given).
    #[arg(long)]
    pub model: PathBuf,
    /// Tokens per sequence when the model is a Hugging Face config.
    #[arg(long, default_value_t = 128)]
    pub seq_len: usize,
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
    /// Also co-simulate in Verilator: bit-exact check, measured cycles and throughput.
    #[arg(long)]
    pub verilator: bool,
    /// Split the model over this many devices (cut where a single stream is live,
    /// balancing weights) and write per-device Vivado projects to `DIR/fpga/`.
    #[arg(long)]
    pub devices: Option<usize>,
    /// Board of every device (`mase-hw` catalog: u250, u280, u55c, vcu118).
    #[arg(long, default_value = "u250")]
    pub board: String,
}

/// A model and where its weights come from.
pub struct Loaded {
    pub graph: Graph,
    /// `model.safetensors` found beside a Hugging Face `config.json`.
    pub found_weights: Option<PathBuf>,
}

/// Reads `path` as mase-hw model JSON, a Hugging Face `config.json`, or a directory
/// holding one.
///
/// # Errors
/// Unreadable or malformed files, unsupported configs, naming the file and field.
pub fn load_model(path: &Path, seq_len: usize) -> Result<Loaded> {
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
        let graph = model::json::from_json(&text)
            .map_err(|e| user(format!("{}: {e}", config.display())))?;
        return Ok(Loaded {
            graph,
            found_weights: None,
        });
    }
    let cfg = model::hf::BertConfig::from_json(&text)
        .map_err(|e| user(format!("{}: {e}", config.display())))?;
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
    Ok(Loaded {
        graph,
        found_weights,
    })
}

/// Calibration inputs within a budget of 2^26 multiply-adds (1..=64).
fn default_calibration(graph: &Graph) -> u64 {
    let params: usize = graph
        .params
        .iter()
        .map(|p| p.shape.iter().product::<usize>())
        .sum();
    let rows: usize = graph.inputs().next().map_or(1, |n| {
        n.shape[..n.shape.len().saturating_sub(1)].iter().product()
    });
    let macs = (params * rows.max(1)).max(1) as u64;
    ((1u64 << 26) / macs).clamp(1, 64)
}

/// A generated system and the files of its directory.
pub struct Built {
    pub graph: Graph,
    pub weights: Weights,
    pub sys: SystemInstance,
    pub top: String,
    pub files: generator::emit::FileSet,
    /// The split system (with `--devices`).
    pub multi: Option<system::split::MultiInstance>,
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
    let loaded = load_model(&a.model, a.seq_len)?;
    let graph = loaded.graph;
    lap(stages, "load model");
    let weights_path = a.weights.clone().or(loaded.found_weights);
    let init = a.init.resolve(&graph);
    let (weights, spec) = match &weights_path {
        Some(p) => (
            Weights::load(p, &graph).map_err(user)?,
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
    let calibration = a.calibration.unwrap_or_else(|| default_calibration(&graph));
    if calibration == 0 {
        return Err(user("--calibration: must be at least 1"));
    }
    let plan =
        system::map::resolve(&graph, &config, &weights, a.seed, calibration).map_err(user)?;
    lap(stages, "calibrate");
    let sys = SystemInstance::new(system::map_model(&graph, &plan, &weights).map_err(user)?);
    lap(stages, "map");
    let top = a
        .top
        .clone()
        .unwrap_or_else(|| format!("mh_{}", system::netlist::legal_name(&graph.name)));
    if !is_identifier(&top) {
        return Err(user(format!(
            "--top {top:?}: must be a SystemVerilog identifier ([A-Za-z_][A-Za-z0-9_]*)"
        )));
    }
    let mut files = system::emit::render(&sys, &top).map_err(user)?;
    files.insert("model.json".into(), model::json::to_json(&graph));
    files.insert("float.json".into(), spec.to_json());
    lap(stages, "render");
    let multi = match a.devices {
        Some(n) => {
            let board = system::board::find(&a.board).map_err(user)?;
            let part = system::plan::split_by_count(&graph, n, &a.board).map_err(user)?;
            let net = system::map_model(&graph, &plan, &weights).map_err(user)?;
            let m = system::split::split(net, &part, system::split::LinkParams::default())
                .map_err(user)?;
            files.extend(system::fpga::render(&m, &part, &board).map_err(user)?);
            lap(stages, "split");
            Some(m)
        }
        None => None,
    };
    Ok(Built {
        graph,
        weights,
        sys,
        top,
        files,
        multi,
    })
}

pub fn generate(a: GenArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let mut stages = Stages::new();
    let b = build(&a, &mut stages)?;
    generator::emit::write_dir(&b.files, &a.output)?;
    println!(
        "wrote {} files to {} (top {}) in {:.2} s",
        b.files.len(),
        a.output.display(),
        b.top,
        started.elapsed().as_secs_f64()
    );
    system_run::summary(&b.sys);
    if let Some(m) = &b.multi {
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
    if !a.no_accuracy || a.verilator {
        let items = a
            .items
            .unwrap_or_else(|| default_calibration(&b.graph).min(4) as usize);
        let (floats, x) = sample_items(&b.graph, &b.sys, a.seed, items)?;
        if !a.no_accuracy {
            system_run::accuracy(&b.graph, &b.weights, &b.sys, &floats, &x, a.per_layer)?;
        }
        if a.verilator {
            match &b.multi {
                Some(m) => {
                    system_run::verilator_of(m, m.rom_tensors(), &x, None)?;
                }
                None => {
                    system_run::verilator(&b.sys, &x, None)?;
                }
            }
        }
    }
    // The process ends here: returning the (for bert-base, gigabytes of) weights and
    // ROM contents page by page would only delay the exit.
    std::mem::forget(b);
    Ok(())
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
