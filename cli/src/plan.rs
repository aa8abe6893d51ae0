//! `mase-hw plan`: folds and partitions a model over the devices of a board and prints
//! the plan (no files written); the board options (`BoardArgs`) are shared with `gen
//! --board`, which applies the plan.

use std::path::PathBuf;

use anyhow::Result;

use crate::load::{load_model, read_config};
use crate::user;

/// The multi-device planning options of `gen` and `plan`.
#[derive(clap::Args, Clone)]
pub struct BoardArgs {
    /// Board of the device catalog (fpga/boards): with it, every node's lanes are
    /// chosen by the planner (overriding the config's parallelism).
    #[arg(long)]
    pub board: Option<String>,
    /// Device count: a number, or `auto` (the count with the best throughput per
    /// device, or the fewest reaching --target).
    /// Without `--board`: split the config's design over N U250s at balanced
    /// single-stream cuts and write per-device Vivado projects (`DIR/fpga/`).
    #[arg(long)]
    pub devices: Option<String>,
    /// Clock of every device in MHz (default: the board's).
    #[arg(long)]
    pub clock: Option<f64>,
    /// Line rate of one inter-device link port in Gb/s (QSFP28: 100), before 64B/66B.
    #[arg(long, default_value_t = 100.0)]
    pub link_gbps: f64,
    /// Link ports between neighbouring devices.
    #[arg(long, default_value_t = 1)]
    pub links: u32,
    /// Items (sequences) per second to reach; with `--devices auto`, the fewest devices
    /// that reach it.
    #[arg(long)]
    pub target: Option<f64>,
    /// Largest device count `auto` tries.
    #[arg(long, default_value_t = 16)]
    pub max_devices: usize,
    /// Where the planner may cut: `single` (one live stream) or `any` (also inside
    /// residual blocks: several streams per cut, multiplexed over one link by `gen`).
    #[arg(long, value_enum, default_value_t = Cuts::Single)]
    pub cuts: Cuts,
}

/// `--cuts`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cuts {
    #[default]
    Single,
    Any,
}

/// `mase-hw plan`: the dry run of `gen --board`.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// Model (as for `gen`).
    #[arg(long)]
    pub model: PathBuf,
    /// Tokens per sequence when the model is a Hugging Face config.
    #[arg(long, default_value_t = 128)]
    pub seq_len: usize,
    /// Quantization config (only widths matter here).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub board: BoardArgs,
    /// Also print every node's lanes and cycles.
    #[arg(long)]
    pub nodes: bool,
}

/// The planner options from the command line.
pub fn plan_options(b: &BoardArgs) -> Result<Option<system::plan::PlanOptions>> {
    let Some(name) = &b.board else {
        return Ok(None);
    };
    let board = system::board::find(name).map_err(user)?;
    let devices_arg = b.devices.as_deref().unwrap_or("auto");
    let devices = if devices_arg == "auto" {
        if b.max_devices == 0 {
            return Err(user("--max-devices: must be at least 1"));
        }
        system::plan::DeviceCount::Auto { max: b.max_devices }
    } else {
        match devices_arg.parse::<usize>() {
            Ok(n) if n >= 1 => system::plan::DeviceCount::Fixed(n),
            _ => {
                return Err(user(format!(
                    "--devices {devices_arg}: must be a count ≥ 1 or `auto`"
                )));
            }
        }
    };
    if b.links == 0 {
        return Err(user("--links: must be at least 1"));
    }
    if let Some(t) = b.target
        && !(t > 0.0 && t.is_finite())
    {
        return Err(user(format!("--target {t}: must be a positive rate")));
    }
    Ok(Some(system::plan::PlanOptions {
        clock_mhz: b.clock.unwrap_or(board.clock_mhz),
        board,
        devices,
        link_gbps: b.link_gbps,
        links_per_cut: b.links,
        target_items_per_s: b.target,
        cuts: match b.cuts {
            Cuts::Single => system::plan::CutPolicy::SingleStream,
            Cuts::Any => system::plan::CutPolicy::Any,
        },
    }))
}

/// `mase-hw plan`: formats from the config (fractional widths do not matter, so
/// `"auto"` is resolved as 0 without calibrating), then the plan, printed.
pub fn run(a: &PlanArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let graph = load_model(&a.model, a.seq_len, None)?.graph;
    let mut config = read_config(a.config.as_deref())?;
    let fixed = |s: &mut model::quant::Spec| {
        if s.frac.is_some() {
            s.frac = Some(model::quant::Frac::Bits(0));
        }
    };
    fixed(&mut config.default);
    config.nodes.values_mut().for_each(fixed);
    config.tensors.values_mut().for_each(fixed);
    if let Some(w) = config.weights.as_mut() {
        fixed(w);
    }
    let quant = config.resolve(&graph, None, None).map_err(user)?;
    let Some(opts) = plan_options(&a.board)? else {
        return Err(user("plan: --board is required"));
    };
    let p = system::plan::plan(&graph, &quant, &opts).map_err(user)?;
    print_plan(&p, a.nodes);
    println!("planned in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The printed summary of a plan.
pub fn print_plan(p: &system::plan::SystemPlan, nodes: bool) {
    println!(
        "plan: {} on {} × {} at {} MHz (tried: {})",
        p.model,
        p.devices.len(),
        p.board,
        p.clock_mhz,
        p.tried
            .iter()
            .map(|(k, i)| match i {
                Some(i) => format!("{k} → {i} cycles"),
                None => format!("{k} → does not fit"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, d) in p.devices.iter().enumerate() {
        let r = &d.resources;
        let b = &d.budget;
        let pct = |u: u64, c: u64| u as f64 / c.max(1) as f64 * 100.0;
        let layers = match (d.layers.first(), d.layers.last()) {
            (Some(f), Some(l)) if f != l => format!("{f} … {l}"),
            (Some(f), _) => f.clone(),
            _ => "-".into(),
        };
        println!(
            "  device {i}: {} nodes ({} .. {}), layers {}",
            d.nodes.len(),
            d.nodes.first().map_or("", String::as_str),
            d.nodes.last().map_or("", String::as_str),
            layers
        );
        println!(
            "    DSP {}/{} ({:.0}%)  LUT {}/{} ({:.0}%)  FF {}/{} ({:.0}%)  BRAM36 {}/{} ({:.0}%)  URAM {}/{} ({:.0}%)",
            r.dsp,
            b.dsp,
            pct(r.dsp, b.dsp),
            r.lut,
            b.lut,
            pct(r.lut, b.lut),
            r.ff,
            b.ff,
            pct(r.ff, b.ff),
            r.bram36,
            b.bram36,
            pct(r.bram36, b.bram36),
            r.uram,
            b.uram,
            pct(r.uram, b.uram)
        );
        let f = &d.buffers;
        if f.bram36 + f.uram + f.lut > 0 {
            println!(
                "    of which buffers (reconvergent FIFOs, link receive): BRAM36 {} URAM {} LUT {}",
                f.bram36, f.uram, f.lut
            );
        }
        println!(
            "    slowest node {} at {} cycles/item; {}-bound (tightest {} {:.0}%)",
            d.slowest_node,
            d.cycles,
            d.bound,
            d.tightest,
            d.tightest_fraction * 100.0
        );
    }
    for c in &p.cuts {
        println!(
            "  link after {}: {} tensor(s), {} bits/item, {:.2} of {:.1} Gb/s",
            c.after,
            c.tensors.len(),
            c.bits_per_item,
            c.gbps,
            c.gbps_available
        );
        for l in &c.links {
            println!(
                "    port {}: {} ({} bits/item) {:.2} of {:.1} Gb/s{}",
                l.port,
                l.tensors.join(" + "),
                l.bits_per_item,
                l.gbps,
                l.gbps_available,
                if l.tensors.len() > 1 {
                    ", multiplexed"
                } else {
                    ""
                }
            );
        }
    }
    println!(
        "  throughput {:.1} items/s ({:.0} tokens/s), interval {} cycles; latency ≤ {:.1} µs (every node's item time in sequence)",
        p.items_per_s,
        p.tokens_per_s,
        p.interval_cycles,
        p.latency_upper_s * 1e6
    );
    println!(
        "  roofline {:.0} cycles/item ({} MACs ÷ {} usable DSPs): {:.1}% of roofline",
        p.roofline_cycles,
        p.work_macs,
        p.devices.iter().map(|d| d.budget.dsp).sum::<u64>(),
        p.roofline_fraction * 100.0
    );
    println!("  bottleneck: {}", p.bottleneck);
    if let Some(n) = &p.netlist {
        println!(
            "  stitched system estimate: {} cycles per item, latency {} cycles ({:.2} ms)",
            n.interval_cycles,
            n.latency_cycles,
            n.latency_s * 1e3
        );
        for (i, r) in n.devices.iter().enumerate() {
            println!(
                "    device {i} instances (incl. forks, FIFOs, converters; memories as BRAM): DSP {} LUT {} FF {} BRAM36 {}",
                r.dsp, r.lut, r.ff, r.bram36
            );
        }
    }
    if nodes {
        for n in &p.nodes {
            println!(
                "    {:<48} {:<12} {:?} {} cycles, {} DSP",
                n.name, n.op, n.lanes, n.cycles, n.resources.dsp
            );
        }
    }
}
