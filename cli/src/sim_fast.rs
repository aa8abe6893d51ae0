//! `mase-hw sim system --engine fast`: the beat-level cycle simulator (`sim::cycle`) on
//! a generated system. Prints latency, first-input-to-last-output, cycles per item,
//! throughput at the clock, every node's utilisation split and the FIFOs' peak
//! occupancy; `--report` writes the same figures as JSON, `--vcd` the handshakes and
//! FIFO occupancies as waveforms. `--mode data` also carries values on the beats
//! (`sim::cycle::data`) and checks the output against the system's golden model.

use std::path::Path;

use anyhow::{Result, anyhow};
use generator::{Instance, Tensor, TensorMap};
use serde::Serialize;
use sim::cycle::system::system_net;
use system::SystemInstance;
use testbenches::cosim::Stall;
use testbenches::fast::PatternStimulus;

/// What beats carry in the fast engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Handshake cycles only; outputs from the golden model.
    Timing,
    /// Also values: every node steps its golden model on the beats it accepted.
    Data,
}

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
    /// What the shares count: `stream` (the first output stream's beats and waits) or
    /// `issue` (a MAC engine's issue cycles; fast engine only).
    shares: &'static str,
}

impl NodeReport {
    fn of(n: sim::cycle::system::NodeTiming) -> NodeReport {
        NodeReport {
            name: n.name,
            first_in: n.first_in,
            last_out: n.last_out,
            busy: n.busy,
            starved: n.starved,
            backpressured: n.backpressured,
            shares: if n.shares_from_issue {
                "issue"
            } else {
                "stream"
            },
        }
    }
}

#[derive(Serialize)]
struct FifoReport {
    name: String,
    depth: usize,
    peak: usize,
}

impl FifoReport {
    fn of(f: sim::cycle::system::FifoPeak) -> FifoReport {
        FifoReport {
            name: f.name,
            depth: f.depth,
            peak: f.peak,
        }
    }
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

/// How to run the fast engine.
pub struct FastRun<'a> {
    /// The input items `[N, ..input shape]`.
    pub x: &'a Tensor,
    pub stall: Stall,
    pub seed: u64,
    pub clock_mhz: f64,
    pub mode: ModeArg,
    pub report: Option<&'a Path>,
    pub vcd: Option<&'a Path>,
}

/// Runs the items of `r.x` through the fast engine and prints the figures; returns the
/// output tensor (data mode: the values the beats carried, checked bit for bit against
/// the golden model; timing mode: the golden model's).
///
/// `multi`: the directory's split system (`gen --devices`); the engine then runs every
/// device's net joined by cycle models of the links (`cycle::system::multi_net`), in
/// timing mode only.
pub fn run(
    sys: &SystemInstance,
    multi: Option<&system::split::MultiInstance>,
    r: &FastRun<'_>,
) -> Result<Tensor> {
    let (stall, seed, clock_mhz, report) = (r.stall, r.seed, r.clock_mhz, r.report);
    let items = r.x.shape.first().copied().unwrap_or(1);
    let mut net = match multi {
        None => system_net(&sys.net, items).map_err(crate::user)?,
        Some(m) => {
            if matches!(r.mode, ModeArg::Data) {
                return Err(crate::user(
                    "--mode data: a multi-device directory runs in timing mode only (use --engine verilator for its values)",
                ));
            }
            println!(
                "fast: {} devices joined by link models (latency {} cycles, {} bits per cycle, {} credits)",
                m.devices.len(),
                m.link.latency,
                m.link.bits_per_cycle,
                m.link.credits
            );
            sim::cycle::system::multi_net(m, items)
                .map_err(|e| crate::user(format!("--engine fast: {e}")))?
        }
    };
    let t0 = std::time::Instant::now();
    let boundary = match multi {
        None => sys.streams(),
        Some(m) => m.streams(),
    };
    let mut stim = PatternStimulus::new(&boundary, stall, seed);
    net.run(&mut stim)
        .map_err(|e| anyhow!("fast engine: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let data = match r.mode {
        ModeArg::Data => Some(
            sim::cycle::data::run_data(sys, &net, r.x).map_err(|e| anyhow!("fast engine: {e}"))?,
        ),
        ModeArg::Timing => None,
    };
    let data_secs = t1.elapsed().as_secs_f64();
    let s = net.summary(items);
    let us = |c: f64| c / clock_mhz;
    let mode = match r.mode {
        ModeArg::Data => "data",
        ModeArg::Timing => "timing",
    };
    println!(
        "fast: {items} items, {mode} mode, stalls {stall} seed {seed}, simulated in {secs:.3} s"
    );
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
    let w = s
        .nodes
        .iter()
        .map(|n| n.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("  {:<w$}  busy  starved  backpressured", "node");
    for n in &s.nodes {
        println!(
            "  {:<w$} {:>4.0}% {:>7.0}% {:>13.0}%",
            n.name,
            100.0 * n.busy,
            100.0 * n.starved,
            100.0 * n.backpressured
        );
    }
    // The busiest node; the first of equals (the one the others wait behind).
    let bottleneck =
        s.nodes.iter().fold(
            None::<&sim::cycle::system::NodeTiming>,
            |best, n| match best {
                Some(b) if b.busy >= n.busy => Some(b),
                _ => Some(n),
            },
        );
    if let Some(b) = bottleneck {
        println!("fast: bottleneck {} ({:.0}% busy)", b.name, 100.0 * b.busy);
    }
    // FIFO peaks: beats accepted minus beats emitted, at its worst cycle.
    let peaks = match multi {
        None => sim::cycle::system::fifo_peaks(&sys.net, &net),
        Some(m) => {
            let mut base = 0;
            let mut v = Vec::new();
            for d in &m.devices {
                v.extend(sim::cycle::system::fifo_peaks_at(&d.net, &net, base));
                base += d.net.nodes.len();
            }
            v
        }
    };
    for f in &peaks {
        println!("  fifo {:<w$} peak {} of {} beats", f.name, f.peak, f.depth);
    }
    let fifo_nodes: Vec<usize> = peaks.iter().map(|f| f.node).collect();
    let fifos = peaks.into_iter().map(FifoReport::of).collect();
    if let Some(p) = report {
        let rep = Report {
            engine: "fast",
            items,
            latency_cycles: s.latency_cycles,
            first_in_to_last_out_cycles: s.first_in_to_last_out_cycles,
            cycles_per_item: s.cycles_per_item,
            nodes: s.nodes.into_iter().map(NodeReport::of).collect(),
            fifos,
        };
        let text = serde_json::to_string_pretty(&rep)? + "\n";
        std::fs::write(p, text).map_err(|e| anyhow!("writing {}: {e}", p.display()))?;
        println!("wrote {}", p.display());
    }
    if let Some(p) = r.vcd {
        let ps = (1e6 / clock_mhz).round().max(1.0) as u64;
        let f = std::fs::File::create(p).map_err(|e| anyhow!("writing {}: {e}", p.display()))?;
        sim::cycle::waves::write_vcd(&net, &fifo_nodes, ps, f)
            .map_err(|e| anyhow!("writing {}: {e}", p.display()))?;
        println!("wrote {} ({ps} ps per cycle)", p.display());
    }
    let mut golden = sys
        .golden(&TensorMap::from([("data_in".to_string(), r.x.clone())]))
        .map_err(crate::user)?;
    let y = golden
        .remove("data_out")
        .ok_or_else(|| anyhow!("no golden data_out"))?;
    let Some(d) = data else {
        println!("fast: outputs from the golden model (timing mode)");
        return Ok(y);
    };
    if d.output != y {
        let (k, a, b) = d
            .output
            .raw
            .iter()
            .zip(&y.raw)
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map_or((0, 0, 0), |(k, (a, b))| (k, *a, *b));
        return Err(anyhow!(crate::CheckFailed(format!(
            "fast engine (data mode) differs from the golden model: data_out element {k}: {a} vs golden {b} (shapes {:?} vs {:?})",
            d.output.shape, y.shape
        ))));
    }
    println!(
        "fast: {items} items bit-exact against the golden model ({} beats carried values, data {data_secs:.3} s, timing + data {:.3} s)",
        d.beats,
        secs + data_secs
    );
    Ok(d.output)
}

/// `--report` for `--engine verilator`: the same fields, measured on the netlist edges'
/// handshakes a monitored run recorded (`m.probes`, one per edge in netlist order):
/// every node's first input and last output beat and its shares from its first output
/// stream (`shares: "stream"`; a MAC engine's issue cycles are invisible on streams),
/// every FIFO's peak occupancy, computed by the fast engine's own functions.
pub fn write_verilator_report(
    path: &Path,
    sys: &SystemInstance,
    items: usize,
    m: &crate::system_run::Measured,
) -> Result<()> {
    let mut net = system_net(&sys.net, items).map_err(crate::user)?;
    if m.probes.len() != net.streams.len() {
        return Err(anyhow!(
            "verilator report: {} monitored streams for {} netlist edges",
            m.probes.len(),
            net.streams.len()
        ));
    }
    for (k, p) in m.probes.iter().enumerate() {
        net.set_observed(k, p.valid.clone(), p.fires.clone());
    }
    let s = net.stream_summary(items);
    let r = Report {
        engine: "verilator",
        items,
        latency_cycles: m.latency.unwrap_or(0),
        first_in_to_last_out_cycles: m.total_cycles.unwrap_or(0),
        cycles_per_item: m.cycles_per_item,
        nodes: s.nodes.into_iter().map(NodeReport::of).collect(),
        fifos: sim::cycle::system::fifo_peaks(&sys.net, &net)
            .into_iter()
            .map(FifoReport::of)
            .collect(),
    };
    let text = serde_json::to_string_pretty(&r)? + "\n";
    std::fs::write(path, text).map_err(|e| anyhow!("writing {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
