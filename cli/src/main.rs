//! The `mase-hw` command line. Each subcommand lives in a module of its own with its
//! `Args` struct (`list`, `emit`, `generate`, `test_cmd`, `sim_component`,
//! `system_run`, `synth`, `report`, `bench`, …); shared helpers are in `common` and
//! `errors`. `main` only maps the outcome of [`run`] to an exit code:
//! 0 success, 1 a check failed (mismatch, failing regression), 2 bad input, 3 a tool
//! failed or is missing (Verilator not found, a Verilator build or model load failed).

mod bench;
mod bench_all;
mod bench_build;
mod bench_cocotb;
mod bench_table;
mod budget;
mod calib;
mod common;
mod completions;
mod emit;
mod emit_cocotb;
mod errors;
mod gen_timing;
mod generate;
mod junit;
mod list;
mod progress;
mod report;
mod sim_component;
mod sim_fast;
mod size_fifos;
mod synth;
mod system_run;
mod tensors;
mod test_cmd;
mod test_env;
mod version;
mod vivado_check;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

// The helpers every subcommand uses, at the crate root.
pub use common::{Engine, check_parent, check_top, configure};
pub use errors::{CheckFailed, user};

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
    Components(list::ComponentsArgs),
    /// Write one configured component: SystemVerilog, signature JSON, file list, ROM files.
    Emit(emit::EmitArgs),
    /// Generate a stitched streaming system from a model (mase-hw model JSON, or a Hugging
    /// Face BERT config.json or directory): rtl/, mem/, signature.json, filelist.f,
    /// report.json, netlist.json; prints timing and accuracy vs float.
    Gen(generate::GenArgs),
    /// Dry run of the Vivado projects of `gen --devices`: every `fpga/*/build.tcl` under
    /// `tclsh` with stand-in Vivado commands that check arguments and files.
    VivadoCheck(vivado_check::VivadoCheckArgs),
    /// Verilator regression against the golden models under four stall patterns.
    Test(test_cmd::TestArgs),
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
    Report(report::ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Resource model against Yosys `synth_xilinx` (UltraScale+), per resource with
    /// the error; results cached under target/mase-hw-cache/yosys.
    Synth(synth::SynthArgs),
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
    Component(sim_component::SimComponentArgs),
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
    /// Verilator build time per build mode (single unit vs split and parallel), from
    /// an empty cache without ccache: verilate/compile/link seconds, CPU, peak memory.
    Build(bench_build::BenchBuildArgs),
}

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
            eprintln!("error: {}", errors::message(&e));
            ExitCode::from(errors::exit_code(&e))
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Components(args) => list::run(args),
        Cmd::Emit(args) => emit::run(args),
        Cmd::Gen(args) => {
            let html = args.report.then(|| args.output.clone());
            generate::generate(args)?;
            if let Some(dir) = html {
                report::write(&dir)?;
            }
            Ok(())
        }
        Cmd::Report(args) => report::run(args),
        Cmd::EmitCocotb(args) => emit_cocotb::emit_cocotb(args),
        Cmd::Completions(args) => {
            completions::print::<Cli>(args.shell);
            Ok(())
        }
        Cmd::Synth(args) => synth::run(args),
        Cmd::Plan(args) => generate::plan_only(&args),
        Cmd::VivadoCheck(args) => vivado_check::run(args),
        Cmd::Test(args) => test_cmd::run(args),
        Cmd::Sim {
            what: SimCmd::Component(args),
        } => sim_component::run(args),
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
        Cmd::Bench {
            what: BenchCmd::Build(args),
        } => bench_build::run(&args),
    }
}
