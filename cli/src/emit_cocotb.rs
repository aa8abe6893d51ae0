//! `mase-hw emit-cocotb`: a self-contained cocotb testbench for a component (`NAME -p
//! KEY=VALUE …`) or a generated system directory, carrying golden vectors from the
//! bit-exact model (see `testbenches::cocotb`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use generator::component::Instance;

use crate::user;

#[derive(Args)]
pub struct EmitCocotbArgs {
    /// Component name (see `mase-hw components`) or a directory written by `mase-hw gen`.
    target: String,
    /// Parameter override KEY=VALUE (repeatable; components only).
    #[arg(short, long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Output directory.
    #[arg(short, long)]
    output: PathBuf,
    /// Rows of random input (every free dimension of the input tensors).
    #[arg(long, default_value_t = 8)]
    rows: usize,
    /// Seed of the random input.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn emit_cocotb(a: EmitCocotbArgs) -> Result<()> {
    if a.rows == 0 {
        return Err(user("--rows: must be at least 1"));
    }
    let dir = PathBuf::from(&a.target);
    let mut rng = generator::rng::Rng::new(a.seed);
    let (inst, name, inputs): (Box<dyn Instance>, String, _) = if dir.is_dir() {
        if !a.params.is_empty() {
            return Err(user(
                "-p: parameters apply to a component, not to a generated system directory",
            ));
        }
        let (sys, _top) = system::load::load(&dir).map_err(user)?;
        // The system's ROMs are the directory's weights; only `data_in` is random.
        let mut inputs = sys.rom_tensors();
        if let Some(x) = sys.random_inputs(&mut rng, a.rows).remove("data_in") {
            inputs.insert("data_in".into(), x);
        }
        (Box::new(sys), "system".into(), inputs)
    } else {
        let inst = crate::configure(&a.target, &a.params)?;
        let inputs = inst.random_inputs(&mut rng, a.rows);
        (inst, a.target.clone(), inputs)
    };
    inst.check_inputs(&inputs).map_err(user)?;
    let expected = inst.golden(&inputs).map_err(user)?;
    let files = testbenches::cocotb::render(&*inst, &name, &inputs, &expected).map_err(user)?;
    generator::emit::write_dir(&files, &a.output)
        .with_context(|| format!("writing {}", a.output.display()))?;
    println!(
        "wrote {} files to {} (top {}); run: cd {} && SIM=icarus pytest test_runner.py",
        files.len(),
        a.output.display(),
        testbenches::cocotb::TOP,
        a.output.display()
    );
    Ok(())
}
