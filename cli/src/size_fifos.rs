//! `mase-hw sim system DIR --engine fast --size-fifos`: sizes every reconvergent FIFO
//! of a generated design with the fast cycle simulator (`sim::cycle::sizing`: smallest
//! depths that keep the no-stall throughput of unbounded FIFOs and complete under all
//! four boundary stall patterns) and regenerates the directory with those depths.
//!
//! The new depths go into `netlist.json` (the FIFOs' `DEPTH` parameters and the
//! `fifos` list), so `sim system` rebuilds the sized design and accepts the regenerated
//! `rtl/`; `report.json` gains a `fifo_sizing` section. Files the netlist does not
//! produce (`model.json`, `float.json`, the accuracy figures in `report.json`) are
//! kept; `report.html` is re-rendered if present. The directory is replaced whole
//! through `generator::outdir` (never half-written). Multi-device directories are
//! refused: their FIFOs would have to be sized with the links in the loop.

use std::path::Path;

use anyhow::{Result, anyhow};
use generator::Instance;
use generator::emit::FileSet;
use serde::Serialize;
use sim::cycle::sizing::{Sizing, size_fifos};
use system::SystemInstance;
use testbenches::cosim::Stall;

/// The suffix this command appends to a FIFO's reason (replaced on a re-run).
const SIZED: &str = "; sized by simulation";

#[derive(Serialize)]
struct FifoRow {
    instance: String,
    /// `DEPTH` in the directory before this run.
    depth_before: usize,
    /// Smallest `DEPTH` reproducing every unbounded run (the search's upper bound).
    depth_unbounded_peak: usize,
    depth_sized: usize,
    bits_per_entry: usize,
}

#[derive(Serialize)]
struct Section {
    items: usize,
    stalls: Vec<String>,
    seed: u64,
    /// `null` when the previous depths deadlock.
    cycles_per_item_before: Option<f64>,
    cycles_per_item_unbounded: f64,
    cycles_per_item_sized: f64,
    latency_cycles_sized: u64,
    fifo_bits_before: u64,
    fifo_bits_sized: u64,
    simulations: usize,
    fifos: Vec<FifoRow>,
}

/// Sizes the FIFOs of the design in `dir` on `items` items and rewrites `dir`.
pub fn run(dir: &Path, items: usize, seed: u64) -> Result<()> {
    if dir.join("fpga/partition.json").is_file() {
        return Err(crate::user(format!(
            "--size-fifos: {} is a multi-device design (fpga/partition.json); size single-device designs",
            dir.display()
        )));
    }
    if items < 2 {
        return Err(crate::user(
            "--size-fifos: needs at least 2 items back to back (cycles per item)",
        ));
    }
    let (sys, top) = system::load::load(dir).map_err(crate::user)?;
    if sys.net.fifos.is_empty() {
        println!("size-fifos: no reconvergent FIFOs; nothing to size");
        return Ok(());
    }
    let t0 = std::time::Instant::now();
    let s = {
        let tr = testbenches::fast::stall_traffic(sys.streams(), items, seed);
        size_fifos(&sys.net, &tr).map_err(|e| anyhow!("size-fifos: {e}"))?
    };
    let secs = t0.elapsed().as_secs_f64();
    print(&s, secs);
    let mut net = sys.net;
    for f in &s.fifos {
        let inst = format!("u_{}", f.name);
        let why = net
            .fifos
            .iter()
            .find(|x| x.0 == inst)
            .map(|x| x.2.split(SIZED).next().unwrap_or("").to_string())
            .unwrap_or_default();
        let why = format!(
            "{why}{SIZED}: {} -> {} beats (unbounded peak {}; {items} items, stalls none/idle/backpressure/both, seed {seed})",
            f.rule, f.sized, f.peak
        );
        net.set_fifo_depth(&inst, f.sized, why)
            .map_err(crate::user)?;
    }
    let sys = SystemInstance::new(net);
    let section = Section {
        items,
        stalls: Stall::ALL.iter().map(ToString::to_string).collect(),
        seed,
        cycles_per_item_before: s.rule.as_ref().ok().map(|t| t.cycles_per_item),
        cycles_per_item_unbounded: s.unbounded.cycles_per_item,
        cycles_per_item_sized: s.sized.cycles_per_item,
        latency_cycles_sized: s.sized.latency_cycles,
        fifo_bits_before: s.bits().0,
        fifo_bits_sized: s.bits().1,
        simulations: s.runs,
        fifos: s
            .fifos
            .iter()
            .map(|f| FifoRow {
                instance: format!("u_{}", f.name),
                depth_before: f.rule,
                depth_unbounded_peak: f.peak,
                depth_sized: f.sized,
                bits_per_entry: f.bits_per_entry,
            })
            .collect(),
    };
    let files = regenerate(dir, &sys, &top, &section)?;
    generator::outdir::replace_dir(&files, dir)?;
    // The directory must load again: netlist.json regenerates rtl/ byte for byte.
    system::load::load(dir).map_err(|e| anyhow!("size-fifos: the rewritten directory: {e}"))?;
    println!(
        "size-fifos: rewrote {} ({} files); netlist.json records the sized depths",
        dir.display(),
        files.len()
    );
    Ok(())
}

fn print(s: &Sizing, secs: f64) {
    println!(
        "size-fifos: {} FIFOs, {} items, {} simulations in {secs:.2} s",
        s.fifos.len(),
        s.items,
        s.runs
    );
    let w = s
        .fifos
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("  {:<w$} before   peak  sized  (DEPTH, beats)", "fifo");
    for f in &s.fifos {
        println!(
            "  {:<w$} {:>6} {:>6} {:>6}",
            f.name, f.rule, f.peak, f.sized
        );
    }
    let rule = match &s.rule {
        Ok(t) => format!("{:.1}", t.cycles_per_item),
        Err(e) => format!("deadlock ({e})"),
    };
    println!(
        "  cycles per item (no stalls): before {rule}, unbounded {:.1}, sized {:.1}; latency sized {} cycles",
        s.unbounded.cycles_per_item, s.sized.cycles_per_item, s.sized.latency_cycles
    );
    let (before, after) = s.bits();
    let change = if after <= before {
        format!("{} bits saved", before - after)
    } else {
        format!("{} bits more", after - before)
    };
    println!("  FIFO memory: {before} bits before, {after} bits sized ({change})");
}

/// The directory's new file set: what the sized netlist renders, the other files kept.
fn regenerate(dir: &Path, sys: &SystemInstance, top: &str, section: &Section) -> Result<FileSet> {
    let mut files = system::emit::render(sys, top).map_err(crate::user)?;
    let mut old = FileSet::new();
    read_tree(dir, dir, &mut old)?;
    let report = files.get("report.json").cloned().unwrap_or_default();
    let mut report: serde_json::Value = serde_json::from_str(&report)?;
    if let Some(prev) = old
        .get("report.json")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        && let (Some(prev), Some(new)) = (prev.as_object(), report.as_object_mut())
    {
        for (k, v) in prev {
            if !new.contains_key(k) {
                new.insert(k.clone(), v.clone());
            }
        }
    }
    report["fifo_sizing"] = serde_json::to_value(section)?;
    // gen's simulated timing was of the previous depths.
    report["timing"] = serde_json::to_value(crate::gen_timing::simulate(sys))?;
    for (name, text) in old {
        let generated = name.starts_with("rtl/") || name.starts_with("mem/");
        if !generated && !files.contains_key(&name) {
            files.insert(name, text);
        }
    }
    files.insert(
        "report.json".into(),
        serde_json::to_string_pretty(&report)? + "\n",
    );
    if files.contains_key("report.html") {
        let read = |n: &str| {
            files
                .get(n)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        let inputs = system::html::Inputs {
            report: read("report.json"),
            netlist: read("netlist.json"),
            float: read("float.json"),
        };
        files.insert("report.html".into(), system::html::render(&inputs));
    }
    Ok(files)
}

/// Every file under `at` (relative to `root`, `/`-separated) into `out`.
fn read_tree(root: &Path, at: &Path, out: &mut FileSet) -> Result<()> {
    let entries = std::fs::read_dir(at).map_err(|e| anyhow!("{}: {e}", at.display()))?;
    let mut entries: Vec<_> = entries.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_type()?.is_dir() {
            read_tree(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)
                .map_err(|e| anyhow!("{e}"))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&p).map_err(|e| {
                crate::user(format!("{}: {e} (only text files are kept)", p.display()))
            })?;
            out.insert(rel, text);
        }
    }
    Ok(())
}
