//! Lint and compile an emitted directory the way users will: `verilator --lint-only
//! -Wall -f filelist.f` and `iverilog -g2012 -Wall` over its `.sv` files, from the
//! directory (ROM paths are relative to it). Any warning of either tool is a failure.

use std::path::Path;
use std::process::Command;

use generator::emit::FileSet;

/// Runs both tools on `dir` (holding `files`) with top module `top`.
///
/// # Errors
/// The tool's name, its exit and every line it printed, when it fails or warns.
pub fn lint_dir(dir: &Path, top: &str, files: &FileSet) -> Result<(), String> {
    let svs: Vec<&String> = files.keys().filter(|f| f.ends_with(".sv")).collect();
    run(
        Command::new("verilator").args(["--lint-only", "-Wall", "-f", "filelist.f"]),
        "verilator --lint-only -Wall",
        dir,
    )?;
    // Not `-o /dev/null`: iverilog run as root replaces its output file, and so would
    // turn /dev/null into a regular file for every process on the machine.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let image = std::env::temp_dir().join(format!(
        "mase-hw-lint-{}-{}.vvp",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let r = run(
        Command::new("iverilog")
            .args(["-g2012", "-Wall", "-o"])
            .arg(&image)
            .args(["-s", top])
            .args(svs),
        "iverilog -g2012 -Wall",
        dir,
    );
    let _ = std::fs::remove_file(&image);
    r
}

fn run(cmd: &mut Command, what: &str, dir: &Path) -> Result<(), String> {
    let out = cmd
        .current_dir(dir)
        .env("PATH", sim::tools::child_path())
        .output()
        .map_err(|e| format!("{what}: cannot run: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Verilator prints `%Warning-…`, Icarus `…: warning: …`.
    if !out.status.success() || text.contains("%Warning") || text.contains("warning:") {
        return Err(format!(
            "{what} in {} ({}):\n{text}",
            dir.display(),
            out.status
        ));
    }
    Ok(())
}
