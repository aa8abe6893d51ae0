//! `mase-hw bench all` (and `make bench`): every benchmark of the project measured in
//! one run and printed as one table ([`crate::bench_table`]), ratios beside the rows
//! they compare: the co-simulation harness against a hand-written C++ Verilator loop
//! and a plain cocotb testbench on the same linear, Icarus against Verilator on the
//! same regression, `gen` wall time for bert-base, and the fast cycle engine (bert-base
//! sequences; bert-tiny against Verilator, with and without Verilator's build). It is a
//! benchmark, not a test: it takes minutes, and `--quick` cuts each part short.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use testbenches::regress;

use crate::bench::{self, median};
use crate::bench_table::{Table, sig};
use crate::user;

#[derive(Args)]
pub struct BenchAllArgs {
    /// Fewer repetitions and cycles, one small regression, a cached bert-tiny model
    /// (minutes less; figures noisier).
    #[arg(long)]
    quick: bool,
    /// Also write the table as Markdown (with the machine) to this file.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Repetitions of each cheap measurement (the median is reported); default 5, 2 with --quick.
    #[arg(long)]
    reps: Option<usize>,
    /// Components of the Icarus-vs-Verilator regression (corner configurations, both
    /// simulators); default relu,add,fifo,linear (relu with --quick).
    #[arg(long, value_delimiter = ',')]
    regress: Vec<String>,
    /// Model whose `gen` and fast-engine times are measured.
    #[arg(long, default_value = "examples/bert-base.json")]
    model: PathBuf,
    /// Its quantization config.
    #[arg(long, default_value = "examples/bert-base-q.toml")]
    config: PathBuf,
    /// Model timed in the fast engine under the default config (16 bits, one lane).
    #[arg(long, default_value = "examples/bert-base.json")]
    default_config_model: PathBuf,
    /// Model run in both the fast engine and Verilator.
    #[arg(long, default_value = "examples/bert-tiny.json")]
    compare_model: PathBuf,
    /// Its quantization config.
    #[arg(long, default_value = "examples/bert-tiny-q.toml")]
    compare_config: PathBuf,
}

/// The machine, from `/proc` and the tools' own version strings.
fn machine() -> Vec<String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let ram = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or_else(
            || "unknown RAM".into(),
            |kb| format!("{:.1} GiB RAM", kb / 1048576.0),
        );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    let verilator = sim::Verilator::discover()
        .map(|v| v.version().to_string())
        .unwrap_or_else(|_| "Verilator not found".into());
    let icarus = sim::Icarus::discover()
        .map(|v| v.version().to_string())
        .unwrap_or_else(|_| "Icarus not found".into());
    vec![
        format!("machine: {cores} cores (nproc), {cpu}, {ram}; load average {load} at the start"),
        format!("tools: {verilator}; {icarus}"),
    ]
}

/// One regression on `sim`: wall seconds, build and simulation seconds summed, models
/// built (builds over a second; the rest came from a cache), beats and mismatches.
struct RegressFigures {
    wall: f64,
    build: f64,
    sim: f64,
    built: usize,
    configs: usize,
    beats: u64,
    mismatches: u64,
    failed: usize,
}

fn regression(sim: &str, names: &[String]) -> Result<RegressFigures> {
    let comps = names
        .iter()
        .map(|n| generator::components::find(n).map_err(user))
        .collect::<Result<Vec<_>>>()?;
    let backend = testbenches::backend::discover(sim).map_err(|e| anyhow::anyhow!(e))?;
    let opts = regress::Options {
        random_configs: 0,
        ..regress::Options::default()
    };
    let t = Instant::now();
    let reps = regress::regress(&*backend, &comps, &opts, &|_| {});
    let wall = t.elapsed().as_secs_f64();
    Ok(RegressFigures {
        wall,
        build: reps.iter().map(|r| r.build_secs).sum(),
        sim: reps.iter().map(|r| r.sim_secs).sum(),
        built: reps.iter().filter(|r| r.build_secs > 1.0).count(),
        configs: reps.len(),
        beats: reps.iter().map(|r| r.beats).sum(),
        mismatches: reps.iter().map(|r| r.mismatches).sum(),
        failed: reps.iter().filter(|r| !r.failures.is_empty()).count(),
    })
}

/// Reports progress on stderr, with the rows measured since the last step (so a long
/// run that is stopped still shows what it measured).
fn step(t: &Table, shown: &mut usize, what: &str) {
    for r in &t.rows[*shown..] {
        eprintln!(
            "  {} | {}: {} {} ({})",
            r.group, r.what, r.value, r.unit, r.note
        );
    }
    *shown = t.rows.len();
    if !what.is_empty() {
        eprintln!("bench all: {what} ...");
    }
}

pub fn run(a: BenchAllArgs) -> Result<()> {
    let reps = a.reps.unwrap_or(if a.quick { 2 } else { 5 });
    if reps == 0 {
        return Err(user("--reps: must be at least 1"));
    }
    let names = if a.regress.is_empty() {
        if a.quick {
            vec!["relu".to_string()]
        } else {
            ["relu", "add", "fifo", "linear"].map(String::from).to_vec()
        }
    } else {
        a.regress.clone()
    };
    let mut t = Table::new(format!(
        "mase-hw bench all{} (medians of {reps} unless noted)",
        if a.quick { " --quick" } else { "" }
    ));
    t.machine = machine();
    let mut shown = 0;

    // Co-simulation: Rust harness, C++ loop, plain cocotb on the same linear.
    step(&t, &mut shown, "co-simulation (Rust harness, C++ loop)");
    let cycles = if a.quick { 50_000 } else { 200_000 };
    let c = bench::cosim_figures(cycles, reps)?;
    let g = "cosim linear 64x16 (16x4 lanes)";
    let n = format!("{} cycles, cycle loop only", c.cycles);
    t.push(
        g,
        "Rust-driven Verilator (FFI harness)",
        sig(c.rust, 3),
        "cycles/s",
        &n,
    );
    t.push(g, "plain C++ Verilator loop", sig(c.cpp, 3), "cycles/s", &n);
    t.push(
        g,
        "Rust harness incl. stimulus packing",
        sig(c.rust_total, 3),
        "cycles/s",
        "whole Dut::run",
    );
    step(&t, &mut shown, "co-simulation (plain cocotb)");
    let cocotb_cycles = if a.quick { 4_000 } else { 20_000 };
    let (inst, inputs, expected) = bench::linear_setup(bench::linear_rows(cocotb_cycles))?;
    let mut co_rates = Vec::new();
    let mut co = None;
    for _ in 0..if a.quick { 1 } else { 3 } {
        let f = crate::bench_cocotb::run(&*inst, &inputs, &expected)?;
        co_rates.push(f.cycles as f64 / f.secs);
        co = Some(f);
    }
    let co = co.expect("at least one cocotb run");
    let co_rate = median(&mut co_rates);
    t.push(
        g,
        "plain cocotb testbench (cocotb + Verilator)",
        sig(co_rate, 3),
        "cycles/s",
        format!(
            "{} cycles, median of {}; cocotb build {:.1} s",
            co.cycles,
            co_rates.len(),
            co.build_secs
        ),
    );
    t.push(
        g,
        "ratio Rust / C++",
        format!("{:.3}", c.ratio.0),
        "x",
        format!(
            "median of paired runs (min {:.3}, max {:.3}); target >= 0.8",
            c.ratio.1, c.ratio.2
        ),
    );
    t.push(g, "ratio Rust / cocotb", sig(c.rust / co_rate, 3), "x", "");
    t.push(
        g,
        "golden model linear",
        sig(c.golden_macs, 3),
        "MAC/s",
        "64x512 by 512x512",
    );

    // The same regression on both simulators.
    let g = "regression";
    let label = format!("mase-hw test --configs 0 {}", names.join(" "));
    step(
        &t,
        &mut shown,
        &format!("regression on Verilator ({label})"),
    );
    let v = regression("verilator", &names)?;
    step(&t, &mut shown, "regression on Icarus");
    let i = regression("icarus", &names)?;
    for (sim, r) in [("Verilator", &v), ("Icarus", &i)] {
        if r.failed > 0 || r.mismatches > 0 {
            bail!(
                "bench all: the {sim} regression failed ({} configurations, {} mismatches)",
                r.failed,
                r.mismatches
            );
        }
        t.push(
            g,
            format!("{sim} regression wall"),
            sig(r.wall, 3),
            "s",
            format!(
                "{} configs x 4 stalls, {} beats; build {:.1} s + sim {:.1} s summed; {} models built",
                r.configs, r.beats, r.build, r.sim, r.built
            ),
        );
    }
    t.push(
        g,
        "ratio Icarus / Verilator wall",
        sig(i.wall / v.wall, 3),
        "x",
        format!("{label}; > 1: Verilator faster"),
    );
    t.push(
        g,
        "ratio Icarus / Verilator simulation",
        sig(i.sim / v.sim, 3),
        "x",
        "simulation seconds only (builds excluded)",
    );

    // gen wall time.
    step(&t, &mut shown, &format!("gen {}", a.model.display()));
    let gen_reps = if a.quick { 1 } else { 3 };
    let gf = bench::generation_figures(&a.model, Some(a.config.clone()), gen_reps)?;
    t.push(
        "gen",
        format!("gen --no-accuracy {}", a.model.display()),
        sig(gf.total, 3),
        "s",
        format!("median of {gen_reps}; {}; target 2 s", gf.summary),
    );

    // Fast cycle engine.
    let g = "fast engine";
    step(
        &t,
        &mut shown,
        &format!("fast engine on {}", a.model.display()),
    );
    let f = bench::fast_figures(&a.model, Some(&a.config), &[1, 4], reps)?;
    for (k, fig) in f.iter().enumerate() {
        let items = [1, 4][k];
        t.push(
            g,
            format!(
                "{} {items} sequence{}, timing mode",
                a.model.display(),
                if items == 1 { "" } else { "s back to back" }
            ),
            sig(fig.secs, 3),
            "s",
            format!(
                "{} instances; {} cycles first in to last out; {} handshakes{}",
                fig.instances,
                fig.span_cycles,
                fig.handshakes,
                if items == 1 { "; target <= 2 s" } else { "" }
            ),
        );
    }
    let dm = a.default_config_model.display();
    step(
        &t,
        &mut shown,
        &format!("fast engine on {dm}, default config"),
    );
    let d = bench::fast_figures(&a.default_config_model, None, &[1], reps)?.remove(0);
    t.push(
        g,
        format!("{dm} 1 sequence, default config (1 lane)"),
        sig(d.secs, 3),
        "s",
        format!(
            "{} cycles first in to last out; {} handshakes",
            d.span_cycles, d.handshakes
        ),
    );
    step(
        &t,
        &mut shown,
        &format!(
            "fast engine vs Verilator on {}{}",
            a.compare_model.display(),
            if a.quick {
                ""
            } else {
                " (cold Verilator build)"
            }
        ),
    );
    let cf = bench::compare_figures(&a.compare_model, &a.compare_config, reps, !a.quick)?;
    let fast_rate = cf.fast_cycles as f64 / cf.fast_secs;
    let vl_rate = cf.verilator_cycles as f64 / cf.verilator_secs;
    let vl_build_rate = cf.verilator_cycles as f64 / (cf.verilator_secs + cf.build_secs);
    let m = a.compare_model.display();
    t.push(
        g,
        format!("{m} fast engine"),
        sig(fast_rate, 3),
        "cycles/s",
        format!("{} cycles; {} instances", cf.fast_cycles, cf.instances),
    );
    t.push(
        g,
        format!("{m} Verilator"),
        sig(vl_rate, 3),
        "cycles/s",
        format!("{} cycles, cycle loop only", cf.verilator_cycles),
    );
    t.push(
        g,
        format!("{m} Verilator incl. build"),
        sig(vl_build_rate, 3),
        "cycles/s",
        format!(
            "model build {:.1} s ({})",
            cf.build_secs,
            if cf.cold {
                "cold: empty model cache"
            } else {
                "model cache as found"
            }
        ),
    );
    t.push(
        g,
        "ratio fast / Verilator",
        sig(fast_rate / vl_rate, 3),
        "x",
        "target >= 20",
    );
    t.push(
        g,
        "ratio fast / Verilator incl. build",
        sig(fast_rate / vl_build_rate, 3),
        "x",
        "",
    );

    step(&t, &mut shown, "");
    print!("{}", t.text());
    if let Some(p) = &a.markdown {
        std::fs::write(p, t.markdown())
            .map_err(|e| anyhow::anyhow!("--markdown {}: {e}", p.display()))?;
        eprintln!("bench all: wrote {}", p.display());
    }
    Ok(())
}
