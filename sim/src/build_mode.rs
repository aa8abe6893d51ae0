//! How a Verilator model's generated C++ becomes object code. A small model (one
//! component) compiles fastest as one translation unit in one compiler process: the
//! Verilator headers are parsed once. A system's C++ runs to megabytes, and one
//! unit then means one single-threaded compiler holding all of it (bert-base: over
//! 22 minutes and 3.4 GB before it was stopped), so above a size threshold Verilator
//! splits its output into files and its functions into bounded pieces
//! (`--output-split`, `--output-split-cfuncs`) and every file is compiled on its own,
//! as many at once as there are cores. The measured reason for the threshold is in
//! `docs/performance.md` and ARCHITECTURE.md.
//!
//! This module does not run Verilator or link: it chooses, reports progress, and
//! runs the per-file compiles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::verilator::SimError;

/// How the generated C++ is compiled (part of the build cache key).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BuildMode {
    /// Split when the generated C++ exceeds [`SPLIT_THRESHOLD_BYTES`], else one unit.
    #[default]
    Auto,
    /// Always one translation unit (Verilator's default file splitting, concatenated).
    Single,
    /// Always split files and functions, one compiler per file, in parallel.
    Split,
}

impl BuildMode {
    /// The name used in `MASE_HW_VERILATOR_BUILD`, the cache key and `build.json`.
    pub fn name(self) -> &'static str {
        match self {
            BuildMode::Auto => "auto",
            BuildMode::Single => "single",
            BuildMode::Split => "split",
        }
    }

    /// Parses `auto`, `single` or `split`.
    ///
    /// # Errors
    /// Any other text, naming the accepted values.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(BuildMode::Auto),
            "single" => Ok(BuildMode::Single),
            "split" => Ok(BuildMode::Split),
            other => Err(format!(
                "build mode `{other}`: must be auto, single or split"
            )),
        }
    }

    /// `MASE_HW_VERILATOR_BUILD` if set (a bad value is an error), else `Auto`.
    ///
    /// # Errors
    /// A value other than auto, single or split.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("MASE_HW_VERILATOR_BUILD") {
            Ok(v) => Self::parse(v.trim()).map_err(|e| format!("MASE_HW_VERILATOR_BUILD: {e}")),
            Err(_) => Ok(BuildMode::Auto),
        }
    }

    /// Whether Verilator is asked to split files and functions.
    pub fn splits_output(self) -> bool {
        self != BuildMode::Single
    }

    /// Whether the verilated C++ of `bytes` total size is compiled file by file.
    pub fn compiles_per_file(self, bytes: u64) -> bool {
        match self {
            BuildMode::Auto => bytes > SPLIT_THRESHOLD_BYTES,
            BuildMode::Single => false,
            BuildMode::Split => true,
        }
    }
}

/// Statements per output file and per function (`--output-split`, `--output-split-cfuncs`).
pub const SPLIT_STATEMENTS: u32 = 5000;

/// Generated C++ above this size (bytes) is compiled file by file in `Auto` mode.
/// Measured (`mase-hw bench build`, CPU seconds of the whole build): linear 16 x 4
/// (90 kB) 2.2 s as one unit vs 8.9 s split; bert-tiny (3.2 MB) 40 s vs 68 s (every
/// unit parses the Verilator headers again), so both stay one unit. bert-base's one
/// unit did not finish in 22 minutes at 3.4 GB: systems that large split.
pub const SPLIT_THRESHOLD_BYTES: u64 = 8 << 20;

/// Verilator's flags for `mode`.
pub fn verilator_flags(mode: BuildMode) -> Vec<String> {
    if !mode.splits_output() {
        return Vec::new();
    }
    vec![
        "--output-split".into(),
        SPLIT_STATEMENTS.to_string(),
        "--output-split-cfuncs".into(),
        SPLIT_STATEMENTS.to_string(),
    ]
}

/// Compiler processes run at once: `MASE_HW_BUILD_JOBS`, else the available cores.
pub fn jobs() -> usize {
    std::env::var("MASE_HW_BUILD_JOBS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// A phase of one model build, for progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildEvent {
    /// Verilator is translating the SystemVerilog.
    Verilating,
    /// `done` of `total` C++ units are compiled.
    Compiling { done: usize, total: usize },
    /// The objects are being linked into `libmodel.so`.
    Linking,
    /// The build is over (built or found in the cache).
    Finished,
}

/// Receives [`BuildEvent`]s; called from the building thread and compile workers.
pub type Progress = Arc<dyn Fn(&BuildEvent) + Send + Sync>;

/// One compiler invocation: the command, the log it writes, what it compiles.
pub struct Unit {
    pub cmd: Command,
    pub log: PathBuf,
    pub bytes: u64,
}

/// Runs `units` with at most `jobs` at once, largest first; stops starting new ones
/// after the first failure and returns it.
///
/// # Errors
/// The first compiler failure (its log and last lines) or a process that could not start.
pub fn run_units(
    mut units: Vec<Unit>,
    jobs: usize,
    progress: Option<&Progress>,
    run: fn(Command, &Path, &str) -> Result<(), SimError>,
) -> Result<(), SimError> {
    units.sort_by_key(|u| std::cmp::Reverse(u.bytes));
    let total = units.len();
    let queue = Mutex::new(units.into_iter());
    let done = AtomicUsize::new(0);
    let failed: Mutex<Option<SimError>> = Mutex::new(None);
    if let Some(p) = progress {
        p(&BuildEvent::Compiling { done: 0, total });
    }
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            s.spawn(|| {
                loop {
                    if failed.lock().map_or(true, |f| f.is_some()) {
                        return;
                    }
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some(u) = next else { return };
                    if let Err(e) = run(u.cmd, &u.log, "compiling the model") {
                        if let Ok(mut f) = failed.lock() {
                            f.get_or_insert(e);
                        }
                        return;
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(p) = progress {
                        p(&BuildEvent::Compiling { done: n, total });
                    }
                }
            });
        }
    });
    match failed.into_inner().ok().flatten() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_name_round_trip() {
        for m in [BuildMode::Auto, BuildMode::Single, BuildMode::Split] {
            assert_eq!(BuildMode::parse(m.name()), Ok(m));
        }
        let e = BuildMode::parse("fast").unwrap_err();
        assert!(
            e.contains("`fast`") && e.contains("auto, single or split"),
            "{e}"
        );
    }

    #[test]
    fn auto_splits_only_above_the_threshold() {
        assert!(!BuildMode::Auto.compiles_per_file(SPLIT_THRESHOLD_BYTES));
        assert!(BuildMode::Auto.compiles_per_file(SPLIT_THRESHOLD_BYTES + 1));
        assert!(!BuildMode::Single.compiles_per_file(u64::MAX));
        assert!(BuildMode::Split.compiles_per_file(0));
        assert!(verilator_flags(BuildMode::Single).is_empty());
        assert_eq!(verilator_flags(BuildMode::Split)[0], "--output-split");
    }
}
