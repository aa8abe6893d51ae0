//! `mase-hw sim component NAME -p … --inputs x.json | --random ROWS --output y.json`:
//! one configured component on tensors, computed by the golden model or by Verilator
//! (checked against the golden model).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use generator::component::Instance;
use testbenches::cosim::{Dut, Stall};

use crate::common::{Engine, check_parent, configure};
use crate::errors::{CheckFailed, user};
use crate::{budget, tensors};

#[derive(clap::Args)]
pub struct SimComponentArgs {
    /// Component name.
    name: String,
    /// Parameter override KEY=VALUE (repeatable).
    #[arg(short, long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Input tensors: {"<tensor>": {"shape": [...], "raw": [...]}}.
    #[arg(long, required_unless_present = "random", conflicts_with = "random")]
    inputs: Option<PathBuf>,
    /// Instead of --inputs: seeded random inputs with this many rows (the free dimension).
    #[arg(long, value_name = "ROWS")]
    random: Option<usize>,
    /// Seed of --random.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the inputs used to this file (useful with --random).
    #[arg(long, value_name = "FILE")]
    save_inputs: Option<PathBuf>,
    /// Output tensors (same form plus width, frac_width, signed).
    #[arg(long)]
    output: PathBuf,
    /// Which model computes the outputs.
    #[arg(long, value_enum, default_value_t = Engine::Golden)]
    engine: Engine,
    /// VCD file of the Verilator run.
    #[arg(long, value_name = "FILE")]
    waves: Option<PathBuf>,
}

pub fn run(a: SimComponentArgs) -> Result<()> {
    let inst = configure(&a.name, &a.params)?;
    if let Some(w) = &a.waves {
        check_parent(w, "--waves")?;
    }
    let ins = match (a.inputs, a.random) {
        (Some(p), _) => tensors::read(&p, &*inst).map_err(user)?,
        (None, Some(rows)) if rows >= 1 => {
            // One row tells the elements per row; inputs and outputs are i128
            // codes (16 bytes), with a second copy for the golden outputs.
            let one = inst.random_inputs(&mut generator::rng::Rng::new(a.seed), 1);
            let per_row: u64 = one.values().map(|t| t.raw.len() as u64).sum();
            budget::check_items(
                "--random",
                rows as u64,
                per_row.max(1),
                32,
                &model::budget::Budget::default(),
            )?;
            inst.random_inputs(&mut generator::rng::Rng::new(a.seed), rows)
        }
        _ => return Err(user("--random: ROWS must be at least 1")),
    };
    if let Some(p) = a.save_inputs {
        tensors::write(&p, &ins).with_context(|| format!("writing {}", p.display()))?;
    }
    simulate(&*inst, &ins, &a.output, a.engine, a.waves)
}

fn simulate(
    inst: &dyn Instance,
    ins: &generator::TensorMap,
    output: &Path,
    engine: Engine,
    waves: Option<PathBuf>,
) -> Result<()> {
    inst.check_inputs(ins).map_err(user)?;
    let golden = inst.golden(ins).map_err(user)?;
    let mut differs = None;
    let result = match engine {
        Engine::Golden => golden,
        Engine::Fast => return Err(user("--engine fast: runs systems (`sim system`)")),
        Engine::Verilator => {
            let v = crate::progress::verilator()?;
            let dut = Dut::build(&v, inst, waves.is_some()).map_err(|e| anyhow!(e))?;
            let out = dut
                .run(ins, &golden, Stall::None, 1, waves.as_deref())
                .map_err(|e| anyhow!(e))?;
            for e in &out.errors {
                eprintln!("warning: {e}");
            }
            let mut result = generator::TensorMap::new();
            for s in inst
                .streams()
                .iter()
                .filter(|s| s.direction == generator::sv::Dir::Output)
            {
                let g = &golden[&s.tensor];
                let raw = generator::tensor::from_beats(&out.observed[&s.name]);
                if raw.len() != g.raw.len() {
                    bail!(CheckFailed(format!(
                        "{}: Verilator produced {} of {} elements",
                        s.name,
                        raw.len(),
                        g.raw.len()
                    )));
                }
                result.insert(
                    s.tensor.clone(),
                    generator::Tensor::new(g.shape.clone(), raw, g.format),
                );
            }
            let agree = result == golden && out.errors.is_empty();
            if !agree {
                differs = Some(match &out.first_mismatch {
                    Some(m) => format!("Verilator differs from the golden model: {m}"),
                    None => format!("Verilator run had errors: {}", out.errors.join("; ")),
                });
            }
            eprintln!(
                "verilator: {} cycles, latency {}, {} beats; {} the golden model",
                out.cycles,
                out.latency
                    .map_or_else(|| "-".to_string(), |l| format!("{l} cycles")),
                out.beats_compared,
                if agree { "matches" } else { "DIFFERS from" }
            );
            result
        }
    };
    tensors::write(output, &result).with_context(|| format!("writing {}", output.display()))?;
    println!("wrote {}", output.display());
    match differs {
        Some(d) => Err(anyhow!(CheckFailed(d))),
        None => Ok(()),
    }
}
