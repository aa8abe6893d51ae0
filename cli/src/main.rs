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
mod load;
mod plan;
mod progress;
mod report;
mod sim_component;
mod sim_fast;
mod sim_system;
mod size_fifos;
mod synth;
mod system_run;
mod tensors;
mod test_cmd;
mod test_env;
mod version;
mod vivado_check;

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
    Plan(plan::PlanArgs),
    /// Benchmarks that print side-by-side ratios.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCmd,
    },
}

#[derive(Subcommand)]
enum SimCmd {
    /// Run a generated system directory (mase-hw gen -o DIR) on a tensor: golden model or
    /// Verilator (bit-exact check, cycles, back-to-back throughput), accuracy vs float.
    System(sim_system::SimSystemArgs),
    /// Simulate one configured component on tensors from a JSON file.
    Component(sim_component::SimComponentArgs),
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
        Cmd::Plan(args) => plan::run(&args),
        Cmd::VivadoCheck(args) => vivado_check::run(args),
        Cmd::Test(args) => test_cmd::run(args),
        Cmd::Sim {
            what: SimCmd::Component(args),
        } => sim_component::run(args),
        Cmd::Sim {
            what: SimCmd::System(args),
        } => sim_system::run(args),
        Cmd::Bench { what } => bench::run(what),
    }
}
