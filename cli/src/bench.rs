//! `mase-hw bench cosim`.
use anyhow::{bail, Result};
pub fn cosim(_cycles: u64, _reps: usize) -> Result<()> {
    bail!("not yet")
}
