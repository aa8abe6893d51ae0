//! Icarus Verilog as a second simulator. Icarus has no C interface like Verilator's
//! models, so nothing is driven from Rust cycle by cycle: `testbenches::icarus`
//! generates a SystemVerilog testbench that reads its stimulus and stall schedule from
//! files, and this module only locates `iverilog`/`vvp` (with the `which` crate, on the
//! project's tool path), compiles a file list into a `.vvp` image and runs it.
//!
//! It knows files and processes only, not streams or beats.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools;

/// Why Icarus could not be found, compile or run.
#[derive(Debug, thiserror::Error)]
pub enum IcarusError {
    #[error(
        "{0} not found on PATH (Icarus Verilog); scripts/setup.sh installs it with `apt-get install iverilog` (run `make setup`)"
    )]
    Missing(&'static str),
    #[error("{what} failed ({status}) in {dir}:\n{log}")]
    Tool {
        what: String,
        status: String,
        dir: String,
        log: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A located Icarus installation.
#[derive(Clone, Debug)]
pub struct Icarus {
    iverilog: PathBuf,
    vvp: PathBuf,
    version: String,
}

/// Locates `name` on the project's tool path (`.hwenv` first, then `PATH`).
pub fn locate(name: &'static str) -> Option<PathBuf> {
    tools::find_tool(name)
}

impl Icarus {
    /// Finds `iverilog` and `vvp` and reads the version (`Icarus Verilog version 11.0 …`).
    pub fn discover() -> Result<Icarus, IcarusError> {
        let iverilog = locate("iverilog").ok_or(IcarusError::Missing("iverilog"))?;
        let vvp = locate("vvp").ok_or(IcarusError::Missing("vvp"))?;
        let out = Command::new(&iverilog)
            .arg("-V")
            .output()
            .map_err(|_| IcarusError::Missing("iverilog"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .lines()
            .next()
            .map(|l| l.split(" (").next().unwrap_or(l).trim().to_string())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "Icarus Verilog (unknown version)".into());
        Ok(Icarus {
            iverilog,
            vvp,
            version,
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// Compiles `files` (relative to `dir`, in order) with top `top` into `dir/image`.
    pub fn compile(
        &self,
        dir: &Path,
        files: &[String],
        top: &str,
        image: &str,
    ) -> Result<(), IcarusError> {
        let out = Command::new(&self.iverilog)
            .args(["-g2012", "-o", image, "-s", top])
            .args(files)
            .current_dir(dir)
            .output()
            .map_err(|source| IcarusError::Io {
                path: self.iverilog.display().to_string(),
                source,
            })?;
        if !out.status.success() {
            return Err(IcarusError::Tool {
                what: "iverilog -g2012".into(),
                status: out.status.to_string(),
                dir: dir.display().to_string(),
                log: tail(&out),
            });
        }
        Ok(())
    }

    /// Runs the compiled `image` with `cwd` as working directory (where the testbench
    /// finds its files), passing `plusargs`. Returns what it printed.
    pub fn run(&self, image: &Path, cwd: &Path, plusargs: &[&str]) -> Result<String, IcarusError> {
        let out = Command::new(&self.vvp)
            .arg("-n")
            .arg(image)
            .args(plusargs)
            .current_dir(cwd)
            .output()
            .map_err(|source| IcarusError::Io {
                path: self.vvp.display().to_string(),
                source,
            })?;
        if !out.status.success() {
            return Err(IcarusError::Tool {
                what: "vvp".into(),
                status: out.status.to_string(),
                dir: cwd.display().to_string(),
                log: tail(&out),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The last lines a tool printed.
fn tail(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
