//! `mase-hw vivado-check DIR`: dry run of the Vivado projects of `gen --devices`, every
//! `fpga/*/build.tcl` under `tclsh` with stand-in Vivado commands (`system::fpga`).

use std::path::PathBuf;

use anyhow::Result;

use crate::errors::user;

#[derive(clap::Args)]
pub struct VivadoCheckArgs {
    /// A directory written by `mase-hw gen --devices N`.
    dir: PathBuf,
}

pub fn run(a: VivadoCheckArgs) -> Result<()> {
    for line in system::fpga::vivado_check(&a.dir).map_err(user)? {
        println!("{line}");
    }
    Ok(())
}
