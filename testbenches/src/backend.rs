//! The simulators a regression can run on. A [`Backend`] builds a [`Runner`] for one
//! instance; a runner co-simulates one vector set under a stall pattern and returns
//! the same [`RunOutcome`] whichever simulator ran it, so the regression, its summary
//! and its verdicts do not know which one it was. Verilator runs through [`Dut`]
//! (driven from Rust cycle by cycle), Icarus through [`crate::icarus::IcarusDut`] (a
//! generated testbench replaying the same stimulus and stall schedule from files).
//!
//! `SIM` (`verilator` | `icarus`, cocotb's variable) chooses the backend of the tests.

use std::path::Path;

use generator::component::Instance;
use generator::tensor::TensorMap;
use sim::Verilator;

use crate::cosim::{Dut, RunOutcome, Stall};

/// One instance built for one simulator.
pub trait Runner {
    /// Runs `inputs` under `stall` (seeded), comparing with `expected`; `waves` writes a VCD.
    fn run(
        &self,
        inputs: &TensorMap,
        expected: &TensorMap,
        stall: Stall,
        seed: u64,
        waves: Option<&Path>,
    ) -> Result<RunOutcome, String>;
}

/// A simulator that builds runners.
pub trait Backend: Sync {
    /// `verilator` or `icarus`.
    fn name(&self) -> &'static str;
    /// The tool's version line.
    fn version(&self) -> String;
    /// Builds (or loads from the cache) `inst`; `trace` enables waveforms.
    fn build<'i>(
        &self,
        inst: &'i dyn Instance,
        trace: bool,
    ) -> Result<Box<dyn Runner + 'i>, String>;
}

impl Runner for Dut<'_> {
    fn run(
        &self,
        inputs: &TensorMap,
        expected: &TensorMap,
        stall: Stall,
        seed: u64,
        waves: Option<&Path>,
    ) -> Result<RunOutcome, String> {
        Dut::run(self, inputs, expected, stall, seed, waves).map_err(|e| e.to_string())
    }
}

impl Backend for Verilator {
    fn name(&self) -> &'static str {
        "verilator"
    }
    fn version(&self) -> String {
        Verilator::version(self).to_string()
    }
    fn build<'i>(
        &self,
        inst: &'i dyn Instance,
        trace: bool,
    ) -> Result<Box<dyn Runner + 'i>, String> {
        Ok(Box::new(
            Dut::build(self, inst, trace).map_err(|e| e.to_string())?,
        ))
    }
}

impl Backend for sim::Icarus {
    fn name(&self) -> &'static str {
        "icarus"
    }
    fn version(&self) -> String {
        sim::Icarus::version(self).to_string()
    }
    fn build<'i>(
        &self,
        inst: &'i dyn Instance,
        trace: bool,
    ) -> Result<Box<dyn Runner + 'i>, String> {
        let _ = trace; // Icarus dumps waves on request at run time, no rebuild needed.
        Ok(Box::new(crate::icarus::IcarusDut::build(self, inst)?))
    }
}

/// The simulator names `SIM` and `--sim` accept.
pub const SIMULATORS: [&str; 2] = ["verilator", "icarus"];

/// Locates the simulator `name` (`verilator` | `icarus`).
///
/// # Errors
/// An unknown name, or the tool's message naming what is missing and how
/// `scripts/setup.sh` installs it.
pub fn discover(name: &str) -> Result<Box<dyn Backend>, String> {
    match name {
        "verilator" => Ok(Box::new(Verilator::discover().map_err(|e| e.to_string())?)),
        "icarus" => Ok(Box::new(
            sim::Icarus::discover().map_err(|e| e.to_string())?,
        )),
        other => Err(format!(
            "SIM: unknown simulator `{other}` (expected one of {})",
            SIMULATORS.join(", ")
        )),
    }
}

/// The simulator `SIM` names, `verilator` when unset.
pub fn from_env() -> String {
    std::env::var("SIM")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "verilator".into())
}
