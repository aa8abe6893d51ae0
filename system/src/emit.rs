//! The output directory of a system, rendered in memory (then written atomically with
//! [`generator::emit::write_dir`]): `rtl/` (the top and every library module it uses,
//! plus the lint waivers), `mem/` (one `.mem` file per ROM, named
//! `<instance>_<rom>.mem`, referenced from the top by the relative path `mem/…`, so
//! simulators run from the output directory), `signature.json`, `filelist.f` (paths
//! relative to the directory, in compile order), `report.json` and `netlist.json`
//! (what `mase-hw sim system` rebuilds the design from, see [`crate::load`]).

use rayon::prelude::*;
use std::collections::BTreeMap;

use generator::Instance;
use generator::emit::FileSet;
use serde::Serialize;

use crate::error::SystemError;
use crate::top::{NodeTiming, SystemInstance};

/// One node in `report.json`.
#[derive(Serialize)]
struct NodeReport {
    instance: String,
    model_node: String,
    component: String,
    parameters: Vec<String>,
    input: String,
    output: String,
    lanes_in: usize,
    lanes_out: usize,
    timing: NodeTiming,
    resources: BTreeMap<String, u64>,
    /// Weight format and granularity, for components with a weight matrix.
    #[serde(skip_serializing_if = "Option::is_none")]
    weight_format: Option<String>,
}

#[derive(Serialize)]
struct Report {
    model: String,
    top: String,
    /// Predicted first input beat to first output beat, no stalls.
    latency_cycles: u64,
    /// Whether `latency_cycles` is exact (a chain) or an estimate (a graph with forks).
    latency_exact: bool,
    /// Cycles per item (sample or sequence) in steady state: the slowest node.
    item_interval_cycles: u64,
    /// FIFOs inserted on reconvergent paths: instance, depth in beats, reason.
    reconvergent_fifos: Vec<(String, usize, String)>,
    nodes: Vec<NodeReport>,
    resources: BTreeMap<String, u64>,
}

/// The report of `sys` with top `top`.
pub fn report(sys: &SystemInstance, top: &str) -> String {
    let timings = sys.node_timings();
    let nodes = sys
        .net
        .nodes
        .iter()
        .zip(timings)
        .map(|(n, timing)| {
            let (inp, out) = (n.input(), n.output());
            let fmt = |s: &Result<generator::StreamDef, SystemError>| {
                s.as_ref()
                    .map(|s| s.format().to_string())
                    .unwrap_or_default()
            };
            let lanes = |s: &Result<generator::StreamDef, SystemError>| {
                s.as_ref().map(|s| s.lanes).unwrap_or_default()
            };
            NodeReport {
                instance: format!("u_{}", n.name),
                model_node: n.source.clone(),
                component: n.inst.component().name().to_string(),
                parameters: n.inst.params().display(n.inst.component().params()),
                input: fmt(&inp),
                output: fmt(&out),
                lanes_in: lanes(&inp),
                lanes_out: lanes(&out),
                timing,
                resources: n.inst.resources(),
                weight_format: n.inst.weight_format(),
            }
        })
        .collect();
    let r = Report {
        model: sys.net.name.clone(),
        top: top.to_string(),
        latency_cycles: sys.timing().latency,
        latency_exact: sys.timing_is_exact(),
        item_interval_cycles: sys.item_interval(),
        reconvergent_fifos: sys.net.fifos.clone(),
        nodes,
        resources: sys.resources(),
    };
    serde_json::to_string_pretty(&r).unwrap_or_default() + "\n"
}

/// Every file of the output directory of `sys` with top module `top`.
///
/// # Errors
/// ROM contents that do not fit their formats (cannot happen for a mapped netlist).
pub fn render(sys: &SystemInstance, top: &str) -> Result<FileSet, SystemError> {
    let (sources, order) = generator::emit::sources(sys, top, "mem/");
    let mut files = FileSet::new();
    for (name, text) in sources {
        files.insert(format!("rtl/{name}"), text);
    }
    // ROM files node by node (no copy of the weights), on every core.
    let nodes: Vec<&crate::netlist::NetNode> = sys
        .net
        .nodes
        .iter()
        .filter(|n| !n.roms.is_empty())
        .collect();
    let parts = nodes.par_iter().map(|n| {
        generator::emit::memory_files(&*n.inst, Some(&n.roms)).map(|files| {
            files
                .into_iter()
                .map(|(name, text)| (format!("mem/{}_{name}", n.name), text))
                .collect::<FileSet>()
        })
    });
    let parts: Vec<_> = parts.collect();
    for part in parts {
        files.extend(part?);
    }
    // A system has no library module of its own: the module a user instantiates is the top.
    let mut signature = sys.signature(top);
    signature.module = top.to_string();
    let sig = serde_json::to_string_pretty(&signature).unwrap_or_default() + "\n";
    files.insert("signature.json".into(), sig);
    let filelist: String = order.iter().map(|f| format!("rtl/{f}\n")).collect();
    files.insert("filelist.f".into(), filelist);
    files.insert("report.json".into(), report(sys, top));
    files.insert("netlist.json".into(), crate::load::to_json(sys, top));
    Ok(files)
}
