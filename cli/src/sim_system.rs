//! `mase-hw sim system DIR`: runs a generated system directory (rebuilt from
//! `netlist.json` and its `.mem` files, refused when `rtl/` is stale) on tensors, real
//! text or random items, with the golden model, Verilator or the fast cycle engine;
//! checks bit-exactness and prints accuracy vs float; `--size-fifos` re-sizes the
//! reconvergent FIFOs by simulation. A directory written with `--devices` runs every
//! device joined by the link model.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use generator::{Instance, Tensor, TensorMap};

use crate::CheckFailed;
use crate::system_run::{Figures, accuracy, check_min_cosine, float_model, verilator_stalled};

#[derive(clap::Args)]
pub struct SimSystemArgs {
    /// A directory written by `mase-hw gen`.
    pub dir: PathBuf,
    /// Input tensor: {"data_in": {"shape": [items.., ..input shape], "raw": [..]}} or with
    /// "values" (real numbers, quantized to the input format with RND/SAT) instead of "raw".
    #[arg(long, required_unless_present_any = ["random", "text", "text_file"], conflicts_with_all = ["random", "text", "text_file"])]
    pub inputs: Option<PathBuf>,
    /// Instead of --inputs: this many seeded N(0, 1) model inputs, back to back.
    #[arg(long, value_name = "ITEMS", conflicts_with_all = ["text", "text_file"])]
    pub random: Option<usize>,
    /// Instead of --inputs: a sentence (repeatable), tokenized and embedded with the
    /// checkpoint that --weights points into (its tokenizer.json, config.json and
    /// embedding tables), padded or truncated to the design's sequence length.
    #[arg(long, requires = "weights")]
    pub text: Vec<String>,
    /// As --text, one sentence per line of FILE.
    #[arg(
        long,
        value_name = "FILE",
        requires = "weights",
        conflicts_with = "text"
    )]
    pub text_file: Option<PathBuf>,
    /// Exit 1 when the output cosine vs float (or, with text, the mean-pooled one) is
    /// below this.
    #[arg(long, value_name = "X")]
    pub min_cosine: Option<f64>,
    /// Seed of --random.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Which model computes the outputs.
    #[arg(long, value_enum, default_value_t = crate::Engine::Golden)]
    pub engine: crate::Engine,
    /// VCD file of the Verilator run.
    #[arg(long, value_name = "FILE")]
    pub waves: Option<PathBuf>,
    /// Output tensor file (data_out, raw codes with its format).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Float weights when the design was generated from a weights file.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Print the accuracy of every model node's output vs float.
    #[arg(long)]
    pub per_layer: bool,
    #[command(flatten)]
    pub budget: crate::budget::BudgetArgs,
    /// Boundary stall pattern (the Verilator harness's, seeded by --seed; both engines).
    #[arg(long, value_enum, default_value_t = crate::sim_fast::StallArg::None)]
    pub stalls: crate::sim_fast::StallArg,
    /// Clock for the µs and per-second figures of the fast engine, MHz.
    #[arg(long, value_name = "MHZ", default_value_t = 250.0)]
    pub clock: f64,
    /// JSON timing report (engine, items, latency_cycles, first_in_to_last_out_cycles,
    /// cycles_per_item, nodes, fifos); Verilator fills the fields it can measure.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// With --engine fast: size every reconvergent FIFO by simulation (smallest depths
    /// keeping the unbounded-FIFO throughput, deadlock-free under all four stall
    /// patterns, on the items given) and rewrite DIR with them (docs/fifo-sizing.md).
    #[arg(long)]
    pub size_fifos: bool,
    /// Fast engine: timing (handshakes only) or data (beats carry values, the output is
    /// checked bit for bit against the golden model).
    #[arg(long, value_enum, default_value_t = crate::sim_fast::ModeArg::Timing)]
    pub mode: crate::sim_fast::ModeArg,
    /// Fast engine: VCD of every stream's valid, ready and beat count and every FIFO's
    /// occupancy (change points only).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
}

/// `mase-hw sim system`.
pub fn run(a: SimSystemArgs) -> Result<()> {
    let (sys, top) = system::load::load(&a.dir).map_err(crate::user)?;
    println!(
        "{}: model `{}`, top {top}, {} instances",
        a.dir.display(),
        sys.net.name,
        sys.net.nodes.len()
    );
    if let Some(w) = &a.waves {
        crate::check_parent(w, "--waves")?;
    }
    if let Some(w) = &a.vcd {
        crate::check_parent(w, "--vcd")?;
    }
    if a.engine != crate::Engine::Fast {
        if a.mode == crate::sim_fast::ModeArg::Data {
            return Err(crate::user("--mode data: only for --engine fast"));
        }
        if a.vcd.is_some() {
            return Err(crate::user(
                "--vcd: only for --engine fast (Verilator writes --waves)",
            ));
        }
    }
    let budget = a.budget.budget();
    if let Some(items) = a.random {
        let per_item = sys.net.input_shape.iter().product::<usize>() as u64;
        crate::budget::check_items("--random", items as u64, per_item, 32, &budget)?;
    }
    let float = float_model(&a.dir, a.weights.as_ref())?;
    if let (Some((graph, _)), Some(items)) = (&float, a.random) {
        model::budget::check(graph, items as u64, &budget).map_err(crate::user)?;
    }
    let fmt = sys.tensors()[0].format;
    let mut sentences: Vec<String> = a.text.clone();
    if let Some(p) = &a.text_file {
        sentences = crate::calib::read_sentences(p)?;
    }
    let mut tokens = None;
    let (floats, x): (Vec<Vec<f64>>, Tensor) = match (&a.inputs, a.random) {
        _ if !sentences.is_empty() => {
            let ck = a
                .weights
                .as_deref()
                .and_then(crate::calib::Checkpoint::beside)
                .ok_or_else(|| {
                    crate::user("--text: --weights must point into a Hugging Face checkpoint directory (config.json, tokenizer.json)")
                })?;
            let seq = sys.net.input_shape.first().copied().unwrap_or(1);
            let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
            let items = ck.embed(&refs, seq)?;
            tokens = items.tokens;
            let x = crate::calib::quantize(&sys, &items.floats)?;
            (items.floats, x)
        }
        (Some(p), _) => crate::tensors::read_system_input(p, &sys)?,
        (None, Some(items)) if items >= 1 => {
            let Some((graph, _)) = &float else {
                return Err(crate::user(
                    "--random needs the float model (model.json and synthetic weights or --weights)",
                ));
            };
            crate::system_run::sample_items(graph, &sys, a.seed, items)?
        }
        _ => return Err(crate::user("--random: ITEMS must be at least 1")),
    };
    debug_assert_eq!(x.format, fmt);
    let items = x.shape.first().copied().unwrap_or(1);
    let mut figures = None;
    // Accuracy of a simulated run's output (the golden one, as it was bit-exact).
    let float_figures = || -> Result<Option<Figures>> {
        let Some((graph, weights)) = &float else {
            return Ok(None);
        };
        let (_, f) = accuracy(
            graph,
            weights,
            &sys,
            &floats,
            &x,
            a.per_layer,
            tokens.as_deref(),
        )?;
        Ok(Some(f))
    };
    if a.size_fifos {
        if !matches!(a.engine, crate::Engine::Fast) {
            return Err(crate::user("--size-fifos: needs --engine fast"));
        }
        return crate::size_fifos::run(&a.dir, items, a.seed);
    }
    let y = match (a.engine, &float) {
        (crate::Engine::Golden, Some((graph, weights))) => {
            let t0 = std::time::Instant::now();
            let (y, f) = accuracy(
                graph,
                weights,
                &sys,
                &floats,
                &x,
                a.per_layer,
                tokens.as_deref(),
            )?;
            figures = Some(f);
            println!(
                "golden: {items} items (and the float model) in {:.3} s",
                t0.elapsed().as_secs_f64()
            );
            y
        }
        (crate::Engine::Golden, None) => {
            let t0 = std::time::Instant::now();
            let mut out = sys
                .golden(&TensorMap::from([("data_in".to_string(), x.clone())]))
                .map_err(crate::user)?;
            let y = out
                .remove("data_out")
                .ok_or_else(|| anyhow!("no golden data_out"))?;
            println!(
                "golden: {items} items in {:.3} s",
                t0.elapsed().as_secs_f64()
            );
            y
        }
        (crate::Engine::Verilator, _) if a.dir.join("fpga/partition.json").is_file() => {
            if a.report.is_some() {
                return Err(crate::user(
                    "--report: a multi-device directory's report comes from --engine fast (Verilator monitors single-device designs only)",
                ));
            }
            let multi = load_split(&a.dir)?;
            println!(
                "{} devices joined by link models (latency {} cycles, {} bits per cycle, {} credits)",
                multi.devices.len(),
                multi.link.latency,
                multi.link.bits_per_cycle,
                multi.link.credits
            );
            let y = crate::system_run::verilator_of_stalls(
                &multi,
                multi.rom_tensors(),
                &x,
                a.waves.as_deref(),
                a.stalls.into(),
                a.seed,
            )?
            .output;
            // The split design's output against the whole model's golden output.
            let whole = sys
                .golden(&TensorMap::from([("data_in".to_string(), x.clone())]))
                .map_err(crate::user)?;
            if whole.get("data_out") != Some(&y) {
                return Err(anyhow!(CheckFailed(
                    "the split design's output differs from the whole model's golden output".into()
                )));
            }
            println!(
                "verilator: {} devices bit-exact against the whole model's golden output",
                multi.devices.len()
            );
            figures = float_figures()?;
            y
        }
        (crate::Engine::Fast, _) => {
            if !a.clock.is_finite() || a.clock <= 0.0 {
                return Err(crate::user("--clock: MHZ must be positive"));
            }
            let multi = if a.dir.join("fpga/partition.json").is_file() {
                Some(load_split(&a.dir)?)
            } else {
                None
            };
            crate::sim_fast::run(
                &sys,
                multi.as_ref(),
                &crate::sim_fast::FastRun {
                    x: &x,
                    stall: a.stalls.into(),
                    seed: a.seed,
                    clock_mhz: a.clock,
                    mode: a.mode,
                    report: a.report.as_deref(),
                    vcd: a.vcd.as_deref(),
                },
            )?
        }
        (crate::Engine::Verilator, _) => {
            // A report needs every edge's handshakes: the monitored build.
            let m = if a.report.is_some() {
                crate::system_run::verilator_monitored(
                    &sys,
                    &x,
                    a.waves.as_deref(),
                    a.stalls.into(),
                    a.seed,
                )?
            } else {
                verilator_stalled(&sys, &x, a.waves.as_deref(), a.stalls.into(), a.seed)?
            };
            if let Some(p) = &a.report {
                crate::sim_fast::write_verilator_report(p, &sys, items, &m)?;
            }
            let y = m.output;
            figures = float_figures()?;
            y
        }
    };
    if let Some(p) = &a.output {
        crate::tensors::write(p, &TensorMap::from([("data_out".to_string(), y)]))
            .map_err(|e| anyhow!("writing {}: {e}", p.display()))?;
        println!("wrote {}", p.display());
    }
    if a.min_cosine.is_some() && figures.is_none() {
        return Err(crate::user(
            "--min-cosine: no accuracy figure (the float model is unavailable; pass --weights)",
        ));
    }
    check_min_cosine(figures.as_ref(), a.min_cosine)
}

/// The split system of a directory generated with `--devices`: its netlist split by
/// `fpga/partition.json`; the device tops must equal the files in `fpga/`.
///
/// # Errors
/// A malformed `partition.json`, a partition the netlist cannot be split by, or a
/// device top that differs from what the netlist regenerates.
pub fn load_split(dir: &Path) -> Result<system::split::MultiInstance> {
    let p = dir.join("fpga/partition.json");
    let text =
        std::fs::read_to_string(&p).map_err(|e| crate::user(format!("{}: {e}", p.display())))?;
    let pf: system::fpga::PartitionFile =
        serde_json::from_str(&text).map_err(|e| crate::user(format!("{}: {e}", p.display())))?;
    let (sys, _) = system::load::load(dir).map_err(crate::user)?;
    let multi = system::split::split(sys.net, &pf.partition, pf.link).map_err(crate::user)?;
    let board = system::board::find(&pf.partition.devices[0].board).map_err(crate::user)?;
    let files = system::fpga::render(&multi, &pf.partition, &board).map_err(crate::user)?;
    for d in 0..multi.devices.len() {
        let name = format!("fpga/dev{d}/top.sv");
        let on_disk = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        if files.get(&name) != Some(&on_disk) {
            return Err(crate::user(format!(
                "{}: {name} differs from what netlist.json and partition.json regenerate",
                dir.display()
            )));
        }
    }
    Ok(multi)
}
