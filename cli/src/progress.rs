//! Progress bars and spinners (`indicatif`) for long work on a terminal: `test`'s
//! regression bar, Verilator builds (phase, compiled units of total), `gen`'s stages
//! and long simulations. Nothing when standard error is not a terminal or under
//! `CI=true`, so logs and pipes stay clean.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether progress is drawn: standard error is a terminal and `CI` is not `true`/`1`.
pub fn interactive() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    !ci && std::io::stderr().is_terminal()
}

/// A bar of `total` steps labelled `what`, or `None` when output is not interactive.
pub fn bar(total: u64, what: &str) -> Option<ProgressBar> {
    if !interactive() {
        return None;
    }
    let pb = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    pb.set_style(style);
    pb.set_prefix(what.to_string());
    Some(pb)
}

/// A spinner labelled `what` showing a message and the elapsed time; it ticks on its
/// own and clears its line when dropped. Hidden when output is not interactive.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub fn new(what: &str) -> Self {
        if !interactive() {
            return Spinner(None);
        }
        let pb = ProgressBar::new_spinner();
        let style = ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        pb.set_style(style);
        pb.set_prefix(what.to_string());
        pb.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(pb))
    }

    /// Sets the message (the current phase).
    pub fn set(&self, msg: &str) {
        if let Some(p) = &self.0 {
            p.set_message(msg.to_string());
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.finish_and_clear();
        }
    }
}

/// Prints a line above the bar (or plainly without one).
pub fn println(pb: Option<&ProgressBar>, line: &str) {
    match pb {
        Some(p) => p.println(line),
        None => println!("{line}"),
    }
}

/// Verilator found as `sim::Verilator::discover` does, reporting its build phases on
/// a spinner (verilate, compile done/total units, link) when output is interactive.
///
/// # Errors
/// Verilator missing, or a bad `MASE_HW_VERILATOR_BUILD`.
pub fn verilator() -> anyhow::Result<sim::Verilator> {
    let v = match sim::Verilator::discover() {
        Ok(v) => v,
        Err(e @ sim::SimError::Setting(_)) => return Err(crate::user(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    if !interactive() {
        return Ok(v);
    }
    let mode = v.mode().name();
    let slot: Arc<std::sync::Mutex<Option<Spinner>>> = Arc::default();
    Ok(v.with_progress(Arc::new(move |e: &sim::BuildEvent| {
        let Ok(mut slot) = slot.lock() else { return };
        let msg = match e {
            sim::BuildEvent::Finished => {
                *slot = None;
                return;
            }
            sim::BuildEvent::Verilating => "verilating".to_string(),
            sim::BuildEvent::Compiling { done, total } => {
                format!("compiling C++ {done}/{total} units")
            }
            sim::BuildEvent::Linking => "linking".to_string(),
        };
        slot.get_or_insert_with(|| Spinner::new(&format!("Verilator build ({mode})")))
            .set(&msg);
    })))
}
