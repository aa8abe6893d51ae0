//! `mase-hw emit COMPONENT -p … -o DIR`: one configured component's SystemVerilog,
//! signature JSON, file list and ROM files, written whole into DIR.

use std::path::PathBuf;

use anyhow::Result;

use crate::common::{check_top, configure};
use crate::errors::user;
use crate::tensors;

#[derive(clap::Args)]
pub struct EmitArgs {
    /// Component name (see `mase-hw components`).
    component: String,
    /// Parameter override KEY=VALUE (repeatable); mode names for ROUNDING/OVERFLOW.
    #[arg(short, long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Output directory.
    #[arg(short, long)]
    output: PathBuf,
    /// Name of the generated top module (default `<component>_top`).
    #[arg(long)]
    top: Option<String>,
    /// JSON tensors for the component's ROMs (e.g. `weight`, `bias` of linear).
    #[arg(long)]
    inputs: Option<PathBuf>,
}

pub fn run(a: EmitArgs) -> Result<()> {
    let inst = configure(&a.component, &a.params)?;
    let top = a.top.unwrap_or_else(|| format!("{}_top", a.component));
    check_top(&top)?;
    let tensors = match a.inputs {
        Some(p) => Some(tensors::read(&p, &*inst).map_err(user)?),
        None => None,
    };
    let files = generator::emit::render(&*inst, &top, tensors.as_ref()).map_err(user)?;
    let written = generator::emit::write_dir(&files, &a.output)?;
    for p in written {
        println!("wrote {}", p.display());
    }
    Ok(())
}
