//! `mase-hw report DIR` (and `gen --report`): writes `DIR/report.html` from the JSON
//! files `gen` wrote (see `system::html`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

/// Reads `DIR/name` as JSON; a missing file is `Null`, a malformed one an error.
fn read(dir: &Path, name: &str) -> Result<Value> {
    let p = dir.join(name);
    match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| crate::user(format!("{}: {e}", p.display()))),
        Err(_) => Ok(Value::Null),
    }
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// A directory written by `mase-hw gen`.
    dir: PathBuf,
}

/// `mase-hw report DIR`.
pub fn run(a: ReportArgs) -> Result<()> {
    write(&a.dir).map(|_| ())
}

/// Writes `dir/report.html`; returns its path.
pub fn write(dir: &Path) -> Result<PathBuf> {
    let report = read(dir, "report.json")?;
    if report.is_null() {
        return Err(crate::user(format!(
            "{}: no report.json (is this a directory written by `mase-hw gen`?)",
            dir.display()
        )));
    }
    let inputs = system::html::Inputs {
        report,
        netlist: read(dir, "netlist.json")?,
        float: read(dir, "float.json")?,
    };
    let out = dir.join("report.html");
    std::fs::write(&out, system::html::render(&inputs))
        .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(out)
}
