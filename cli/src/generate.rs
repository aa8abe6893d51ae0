//! `mase-hw gen`: a chain model (mase-hw model JSON), an optional quantization config
//! and optional weights → a stitched system directory, with its predicted timing, its
//! accuracy against the float model and, with `--verilator`, measured timing.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use generator::{Instance, Tensor, TensorMap};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};

use crate::{CheckFailed, is_identifier, user};

/// Scale of synthetic weights.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Init {
    /// He (std √(2/fan_in)): realistic for ReLU networks.
    He,
    /// BERT's std 0.02, γ = 1, β = 0.
    Bert,
}

pub struct GenArgs {
    pub model: PathBuf,
    pub config: Option<PathBuf>,
    pub weights: Option<PathBuf>,
    pub init: Init,
    pub seed: u64,
    pub output: PathBuf,
    pub top: Option<String>,
    pub verilator: bool,
    pub rows: usize,
}

/// Rows of seeded N(0, 1) inputs: float rows and the quantized tensor.
fn sample_rows(
    graph: &model::graph::Graph,
    sys: &SystemInstance,
    seed: u64,
    rows: usize,
) -> Result<(Vec<Vec<f64>>, Tensor)> {
    let fmt = sys.tensors()[0].format;
    let (mut floats, mut raw) = (Vec::new(), Vec::new());
    let input = sys.net.input_name.clone();
    for r in 0..rows as u64 {
        let x = model::float::synthetic_inputs(graph, seed.wrapping_add(1000 + r))
            .remove(&input)
            .ok_or_else(|| anyhow!("no input `{input}`"))?;
        for v in &x.data {
            raw.push(fmt.from_f64(*v, golden::Rounding::Rnd, golden::Overflow::Sat)?);
        }
        floats.push(x.data);
    }
    let width = floats.first().map_or(0, Vec::len);
    Ok((floats, Tensor::new(vec![rows, width], raw, fmt)))
}

pub fn generate(a: GenArgs) -> Result<()> {
    let graph = model::json::load(&a.model).map_err(user)?;
    let weights = match &a.weights {
        Some(p) => Weights::load(p, &graph).map_err(user)?,
        None => {
            let init = match a.init {
                Init::He => SyntheticInit::he(),
                Init::Bert => SyntheticInit::bert(),
            };
            Weights::synthetic_with(&graph, a.seed, &init)
        }
    };
    let config = match &a.config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| user(format!("{}: {e}", p.display())))?;
            QuantConfig::from_toml(&text).map_err(|e| user(format!("{}: {e}", p.display())))?
        }
        None => QuantConfig::default(),
    };
    let plan = system::map::resolve(&graph, &config, &weights, a.seed, 64).map_err(user)?;
    let sys = SystemInstance::new(system::map_model(&graph, &plan, &weights).map_err(user)?);
    let top = a
        .top
        .clone()
        .unwrap_or_else(|| format!("mh_{}", system::netlist::legal_name(&graph.name)));
    if !is_identifier(&top) {
        return Err(user(format!(
            "--top {top:?}: must be a SystemVerilog identifier ([A-Za-z_][A-Za-z0-9_]*)"
        )));
    }
    let files = system::emit::render(&sys, &top).map_err(user)?;
    generator::emit::write_dir(&files, &a.output)?;
    println!(
        "wrote {} files to {} (top {top})",
        files.len(),
        a.output.display()
    );
    for n in &sys.net.nodes {
        let (i, o) = (n.input()?, n.output()?);
        println!(
            "  u_{:<10} {:<8} {} x{} -> {} x{}",
            n.name,
            n.inst.component().name(),
            i.format(),
            i.lanes,
            o.format(),
            o.lanes
        );
    }
    let t = sys.timing();
    println!(
        "predicted: latency {} cycles (first input beat -> first output beat), II {} cycles per row",
        t.latency,
        sys.item_interval()
    );
    accuracy(&graph, &weights, &sys, a.seed, a.rows)?;
    if a.verilator {
        measure(&sys, &graph, a.seed, a.rows)?;
    }
    Ok(())
}

fn accuracy(
    graph: &model::graph::Graph,
    weights: &Weights,
    sys: &SystemInstance,
    seed: u64,
    rows: usize,
) -> Result<()> {
    let (floats, x) = sample_rows(graph, sys, seed, rows)?;
    let out = sys.golden(&TensorMap::from([("data_in".to_string(), x)]))?;
    let out = &out["data_out"];
    let got: Vec<f64> = out.raw.iter().map(|r| out.format.to_f64(*r)).collect();
    let mut reference = Vec::new();
    let input_shape = graph
        .node(&sys.net.input_name)
        .map(|n| n.shape.clone())
        .unwrap_or_default();
    for f in floats {
        let ins = [(
            sys.net.input_name.clone(),
            model::tensor::Tensor {
                shape: input_shape.clone(),
                data: f,
            },
        )]
        .into();
        let acts = model::float::run(graph, weights, &ins)?;
        let y = acts
            .get(&sys.net.output_name)
            .ok_or_else(|| anyhow!("float run has no `{}`", sys.net.output_name))?;
        reference.extend_from_slice(&y.data);
    }
    let acc = model::float::compare(&got, &reference);
    println!(
        "accuracy vs float ({rows} synthetic rows): cosine {:.6}, max abs error {:.3e}",
        acc.cosine, acc.max_abs_error
    );
    Ok(())
}

fn measure(
    sys: &SystemInstance,
    graph: &model::graph::Graph,
    seed: u64,
    rows: usize,
) -> Result<()> {
    let v = sim::Verilator::discover().map_err(|e| anyhow!("{e}"))?;
    let (_, x) = sample_rows(graph, sys, seed, rows)?;
    let mut inputs = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs)?;
    let dut = Dut::build(&v, sys, false).map_err(|e| anyhow!(e))?;
    let out = dut
        .run(&inputs, &expected, Stall::None, seed, None)
        .map_err(|e| anyhow!(e))?;
    if !out.passed() {
        return Err(anyhow!(CheckFailed(format!(
            "verilator differs from golden: {:?} {:?}",
            out.first_mismatch, out.errors
        ))));
    }
    // The harness measures the mean interval between output beats; first beat to last
    // spans rows − 1 row intervals plus the last row's own beats.
    let beats = out.beats_compared as f64;
    let intra = sys
        .node_timings()
        .last()
        .map_or(1.0, |t| t.first_row_beat_interval);
    let per_row = out
        .interval
        .filter(|_| rows >= 2)
        .map(|i| (i * (beats - 1.0) - (beats / rows as f64 - 1.0) * intra) / (rows as f64 - 1.0));
    println!(
        "verilator: {rows} rows bit-exact, {} cycles; measured latency {} cycles, II {} cycles per row",
        out.cycles,
        out.latency.map_or("-".into(), |l| l.to_string()),
        per_row.map_or("-".into(), |i| format!("{i:.1}"))
    );
    Ok(())
}
