//! The `--max-memory` / `--max-work` flags shared by the commands that build or run a
//! model, and the item-count checks made against them before anything is allocated
//! (see `model::budget` for what is counted).

use anyhow::Result;
use model::budget::Budget;

use crate::user;

#[derive(clap::Args, Clone, Debug, Default)]
pub struct BudgetArgs {
    /// Memory budget of the estimated peak (weights, ROM text, activations of every
    /// item), e.g. `16G` (default 8G).
    #[arg(long, value_name = "SIZE", value_parser = model::budget::parse_bytes)]
    pub max_memory: Option<u64>,
    /// Work budget in multiply-adds of every float and golden run together
    /// (default 2^40).
    #[arg(long, value_name = "MACS")]
    pub max_work: Option<u64>,
}

impl BudgetArgs {
    pub fn budget(&self) -> Budget {
        let d = Budget::default();
        Budget {
            max_bytes: self.max_memory.unwrap_or(d.max_bytes),
            max_macs: self.max_work.unwrap_or(d.max_macs),
        }
    }
}

/// Checks `count` items of `per_item` elements (each `bytes` bytes) against the memory
/// budget; `what` names the flag.
pub fn check_items(what: &str, count: u64, per_item: u64, bytes: u64, b: &Budget) -> Result<()> {
    let need = count.saturating_mul(per_item).saturating_mul(bytes);
    if need > b.max_bytes {
        return Err(user(format!(
            "{what} {count}: {count} × {per_item} elements is about {} of memory, above the budget of {} (raise it with --max-memory)",
            model::budget::human_bytes(need),
            model::budget::human_bytes(b.max_bytes)
        )));
    }
    Ok(())
}
