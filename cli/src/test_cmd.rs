//! `mase-hw test`: the component regression against the golden models under four
//! stall patterns (Verilator or Icarus), or with `--accuracy` the error of approximate
//! components against their float reference.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use testbenches::regress;

use crate::common::select;
use crate::errors::{report_failures, user};
use crate::test_env::TestEnv;
use crate::{junit, progress};

#[derive(clap::Args)]
pub struct TestArgs {
    /// Components to test (default: all).
    components: Vec<String>,
    /// Random configurations per component on top of the corner ones.
    #[arg(long, default_value_t = 2)]
    configs: usize,
    /// Seed of random configurations, vectors and stalls.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Vector sets per configuration and stall pattern.
    #[arg(long, default_value_t = 2)]
    vectors: usize,
    /// Write VCD waveforms of every run into this directory.
    #[arg(long, value_name = "DIR")]
    waves: Option<PathBuf>,
    /// Parallel configurations (default: number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Instead of co-simulating, measure the error of approximate components against
    /// their float reference and check the stated bounds.
    #[arg(long)]
    accuracy: bool,
    /// Rows per configuration for --accuracy.
    #[arg(long, default_value_t = 256)]
    rows: usize,
    /// Simulator: verilator or icarus (default: `$SIM`, else verilator).
    #[arg(long)]
    sim: Option<String>,
    /// Write JUnit results (cocotb's results.xml format) here (default: `$COCOTB_RESULTS_FILE`).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

pub fn run(a: TestArgs) -> Result<()> {
    if a.accuracy {
        if a.rows == 0 {
            return Err(user("--rows: must be at least 1"));
        }
        return accuracy(&a.components, a.configs, a.seed, a.rows);
    }
    if a.vectors == 0 {
        return Err(user("--vectors: must be at least 1 (0 compares nothing)"));
    }
    if let Some(w) = &a.waves
        && !w.is_dir()
    {
        return Err(user(format!(
            "--waves {}: not an existing directory",
            w.display()
        )));
    }
    let env = TestEnv::from_env(a.sim, a.junit, a.waves, a.seed)?;
    regression(&a.components, a.configs, a.vectors, a.jobs, env)
}

fn regression(
    names: &[String],
    configs: usize,
    vectors: usize,
    jobs: Option<usize>,
    env: TestEnv,
) -> Result<()> {
    let TestEnv {
        sim,
        junit,
        waves,
        seed,
        toplevel,
        testcase,
    } = env;
    let mut names = names.to_vec();
    if names.is_empty()
        && let Some(t) = toplevel
    {
        names.push(t);
    }
    let comps = select(&names)?;
    let v = testbenches::backend::discover(&sim).map_err(user)?;
    let mut opts = regress::Options {
        seed,
        random_configs: configs,
        vectors,
        waves,
        only: testcase,
        ..regress::Options::default()
    };
    if let Some(j) = jobs {
        opts.jobs = j.max(1);
    }
    println!(
        "mase-hw test: {} component(s), {}, seed {seed}, {} job(s)",
        comps.len(),
        v.version(),
        opts.jobs
    );
    let t = Instant::now();
    let total: usize = comps
        .iter()
        .map(|c| {
            regress::configs(*c, opts.seed, opts.random_configs)
                .iter()
                .filter(|(l, _)| opts.only.as_ref().is_none_or(|o| o == l))
                .count()
        })
        .sum();
    let pb = progress::bar(total as u64, v.name());
    let reports = regress::regress(&*v, &comps, &opts, &|r| {
        let status = if r.failures.is_empty() {
            "ok  "
        } else {
            "FAIL"
        };
        let line = format!(
            "{status} {:<12} {:<9} {:>4} vectors {:>7} beats  build {:>5.1}s sim {:>5.2}s  {}",
            r.component,
            r.label,
            r.vectors,
            r.beats,
            r.build_secs,
            r.sim_secs,
            r.params.join(" ")
        );
        progress::println(pb.as_ref(), &line);
        if let Some(p) = &pb {
            p.inc(1);
        }
    });
    if let Some(p) = pb {
        p.finish_and_clear();
    }
    println!();
    print!("{}", regress::summary(&reports, t.elapsed().as_secs_f64()));
    if let Some(p) = &junit {
        junit::write(p, &reports, v.name()).with_context(|| format!("writing {}", p.display()))?;
        println!("JUnit results: {}", p.display());
    }
    let failures: Vec<&String> = reports.iter().flat_map(|r| &r.failures).collect();
    report_failures(&failures, &format!("rerun with --seed {seed} to reproduce"))
}

fn accuracy(names: &[String], configs: usize, seed: u64, rows: usize) -> Result<()> {
    let comps = select(names)?;
    let reports = testbenches::accuracy::sweep(&comps, seed, configs, rows.max(1));
    if reports.is_empty() {
        println!("no component among those selected has a float reference (all are exact)");
        return Ok(());
    }
    print!("{}", testbenches::accuracy::table(&reports));
    let failures: Vec<&String> = reports.iter().flat_map(|r| &r.failures).collect();
    report_failures(&failures, "each names its configuration and seed")
}
