//! `mase-hw sim system --engine fast`: the beat-level cycle simulator (`sim::cycle`) on
//! a generated system, timing mode. Prints latency, first-input-to-last-output, cycles
//! per item, throughput at the clock, every node's utilisation split and the FIFOs'
//! peak occupancy; `--report` writes the same figures as JSON.

use std::path::Path;

use anyhow::{Result, anyhow};
use generator::Instance;
use serde::Serialize;
use sim::cycle::system::system_net;
use system::SystemInstance;
use testbenches::cosim::Stall;
use testbenches::fast::PatternStimulus;

/// Boundary stall pattern (the Verilator harness's).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum StallArg {
    None,
    Idle,
    Backpressure,
    Both,
}

impl From<StallArg> for Stall {
    fn from(s: StallArg) -> Stall {
        match s {
            StallArg::None => Stall::None,
            StallArg::Idle => Stall::Idle,
            StallArg::Backpressure => Stall::Backpressure,
            StallArg::Both => Stall::Both,
        }
    }
}

#[derive(Serialize)]
struct NodeReport {
    name: String,
    first_in: Option<u64>,
    last_out: Option<u64>,
    busy: f64,
    starved: f64,
    backpressured: f64,
}

#[derive(Serialize)]
struct FifoReport {
    name: String,
    depth: usize,
    peak: usize,
}

#[derive(Serialize)]
struct Report {
    engine: &'static str,
    items: usize,
    latency_cycles: u64,
    first_in_to_last_out_cycles: u64,
    cycles_per_item: Option<f64>,
    nodes: Vec<NodeReport>,
    fifos: Vec<FifoReport>,
}

/// Runs `items` items of the system through the fast engine and prints the figures.
pub fn run(
    sys: &SystemInstance,
    items: usize,
    stall: Stall,
    seed: u64,
    clock_mhz: f64,
    report: Option<&Path>,
) -> Result<()> {
    let mut net = system_net(&sys.net, items).map_err(crate::user)?;
    let t0 = std::time::Instant::now();
    let mut stim = PatternStimulus::new(&sys.streams(), stall, seed);
    net.run(&mut stim)
        .map_err(|e| anyhow!("fast engine: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let s = net.summary(items);
    let us = |c: f64| c / clock_mhz;
    println!("fast: {items} items, stalls {stall} seed {seed}, simulated in {secs:.3} s");
    println!(
        "fast: latency {} cycles ({:.2} us at {clock_mhz} MHz); first input -> last output {} cycles",
        s.latency_cycles,
        us(s.latency_cycles as f64),
        s.first_in_to_last_out_cycles
    );
    let tokens = sys.net.input_shape.first().copied().unwrap_or(1).max(1) as f64;
    if let Some(c) = s.cycles_per_item {
        let per_s = clock_mhz * 1e6 / c;
        println!(
            "fast: {c:.1} cycles per item back to back: {per_s:.0} items/s, {:.0} tokens/s",
            per_s * tokens
        );
    }
    println!("  node                                     busy  starved  backpressured");
    for n in &s.nodes {
        println!(
            "  {:<40} {:>4.0}% {:>7.0}% {:>13.0}%",
            n.name,
            100.0 * n.busy,
            100.0 * n.starved,
            100.0 * n.backpressured
        );
    }
    if let Some(b) = s.nodes.iter().max_by(|a, b| a.busy.total_cmp(&b.busy)) {
        println!("fast: bottleneck {} ({:.0}% busy)", b.name, 100.0 * b.busy);
    }
    // FIFO peaks: beats accepted minus beats emitted, at its worst cycle.
    let mut fifos = Vec::new();
    for (i, node) in sys.net.nodes.iter().enumerate() {
        if node.inst.component().name() != "fifo" {
            continue;
        }
        let n = &net.nodes[i];
        let (a, e) = (
            net.streams[n.ins[0]].handshakes(),
            net.streams[n.outs[0]].handshakes(),
        );
        let (mut j, mut peak) = (0, 0);
        for (k, &c) in a.iter().enumerate() {
            while j < e.len() && e[j] < c {
                j += 1;
            }
            peak = peak.max(k + 1 - j);
        }
        let depth = node.inst.params().get_usize("DEPTH") + 1;
        println!("  fifo {:<35} peak {peak} of {depth} beats", node.name);
        fifos.push(FifoReport {
            name: node.name.clone(),
            depth,
            peak,
        });
    }
    if let Some(p) = report {
        let r = Report {
            engine: "fast",
            items,
            latency_cycles: s.latency_cycles,
            first_in_to_last_out_cycles: s.first_in_to_last_out_cycles,
            cycles_per_item: s.cycles_per_item,
            nodes: s
                .nodes
                .into_iter()
                .map(|n| NodeReport {
                    name: n.name,
                    first_in: n.first_in,
                    last_out: n.last_out,
                    busy: n.busy,
                    starved: n.starved,
                    backpressured: n.backpressured,
                })
                .collect(),
            fifos,
        };
        let text = serde_json::to_string_pretty(&r)? + "\n";
        std::fs::write(p, text).map_err(|e| anyhow!("writing {}: {e}", p.display()))?;
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// `--report` for `--engine verilator`: the same field names; per-node and FIFO figures
/// are empty (the harness observes only the top's streams).
pub fn write_verilator_report(
    path: &Path,
    items: usize,
    latency: Option<u64>,
    first_in_to_last_out: Option<u64>,
    cycles_per_item: Option<f64>,
) -> Result<()> {
    let r = Report {
        engine: "verilator",
        items,
        latency_cycles: latency.unwrap_or(0),
        first_in_to_last_out_cycles: first_in_to_last_out.unwrap_or(0),
        cycles_per_item,
        nodes: Vec::new(),
        fifos: Vec::new(),
    };
    let text = serde_json::to_string_pretty(&r)? + "\n";
    std::fs::write(path, text).map_err(|e| anyhow!("writing {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
