//! `mase-hw bench cosim`: measures, in one run and side by side, the co-simulation
//! harness (Rust driving the Verilator model through the generated FFI, comparing every
//! beat with the golden model) against a hand-written C++ main loop that drives the
//! same Verilator model with the same beats, plus the golden model's MAC throughput.
//! Reports medians over repetitions and the ratio, since the machine is noisy.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};
use generator::bits;
use generator::component::Instance;
use generator::rng::Rng;
use testbenches::cosim::{Dut, Stall};

/// The benchmarked configuration: a 16-lane (IN_PARALLELISM) linear layer, 16-bit.
const LINEAR: &[&str] = &[
    "IN_WIDTH=16",
    "IN_FRAC_WIDTH=8",
    "WEIGHT_WIDTH=16",
    "WEIGHT_FRAC_WIDTH=8",
    "BIAS_WIDTH=16",
    "BIAS_FRAC_WIDTH=8",
    "OUT_WIDTH=16",
    "OUT_FRAC_WIDTH=8",
    "IN_SIZE=64",
    "OUT_SIZE=16",
    "IN_PARALLELISM=16",
    "OUT_PARALLELISM=4",
    "WEIGHTS_FROM_ROM=1",
];

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// What `bench cosim` measures (rates in simulated cycles per second; medians).
pub struct CosimFigures {
    pub rows: usize,
    pub cycles: u64,
    pub reps: usize,
    /// The Rust harness's cycle loop (FFI, per-beat golden compare).
    pub rust: f64,
    /// The Rust harness including stimulus packing and ROM I/O.
    pub rust_total: f64,
    /// The hand-written C++ main loop.
    pub cpp: f64,
    /// Median of the paired Rust / C++ ratios, with their minimum and maximum.
    pub ratio: (f64, f64, f64),
    /// Golden model multiply-accumulates per second on a 512 x 512 linear.
    pub golden_macs: f64,
}

/// The benchmarked linear layer, its Verilator model and `rows` rows of seeded input
/// with their golden output.
pub fn linear_setup(
    rows: usize,
) -> Result<(
    Box<dyn Instance>,
    generator::TensorMap,
    generator::TensorMap,
)> {
    let params: Vec<String> = LINEAR.iter().map(|s| s.to_string()).collect();
    let c = generator::components::find("linear")?;
    let inst = c.elaborate(&generator::Params::parse("linear", c.params(), &params)?)?;
    let inputs = inst.random_inputs(&mut Rng::new(7), rows);
    let expected = inst.golden(&inputs)?;
    Ok((inst, inputs, expected))
}

/// Rows of the benchmarked linear for about `cycles` cycles (one row takes KB*JB cycles).
pub fn linear_rows(cycles: u64) -> usize {
    let kb = 64 / 16;
    let jb = 16 / 4;
    (cycles as usize / (kb * jb)).max(1)
}

/// The linear's parameters, for labels.
pub fn linear_label() -> String {
    LINEAR.join(" ")
}

pub fn cosim_figures(cycles: u64, reps: usize) -> Result<CosimFigures> {
    let reps = reps.max(1);
    let rows = linear_rows(cycles);
    let (inst, inputs, expected) = linear_setup(rows)?;
    let c = generator::components::find("linear")?;
    let v = sim::Verilator::discover()?;
    let dut = Dut::build(&v, &*inst, false).map_err(|e| anyhow::anyhow!(e))?;

    // Hand-written C++ loop over the same model and beats, run alternately with the
    // Rust harness so both see the same machine noise.
    let cpp = CppLoop::build(&v, &*inst, &inputs, &expected)?;
    let mut cpp_rates = Vec::new();

    let mut rust_rates = Vec::new();
    let mut rust_total_rates = Vec::new();
    let mut sim_cycles = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let out = dut
            .run(&inputs, &expected, Stall::None, 1, None)
            .map_err(|e| anyhow::anyhow!(e))?;
        // The cycle loop only, as for the C++ loop (stimulus packing and file I/O excluded on both sides).
        let secs = out.loop_secs;
        if !out.passed() {
            bail!(
                "the benchmark run did not match the golden model: {:?} {:?}",
                out.first_mismatch,
                out.errors
            );
        }
        sim_cycles = out.cycles;
        rust_rates.push(out.cycles as f64 / secs);
        rust_total_rates.push(out.cycles as f64 / t.elapsed().as_secs_f64());
        cpp_rates.push(cpp.run_once()?);
    }

    // Golden model MAC/s on a larger layer.
    let (gin, gout, grows) = (512usize, 512usize, 64usize);
    let big = c.elaborate(&generator::Params::parse(
        "linear",
        c.params(),
        &[
            format!("IN_SIZE={gin}"),
            format!("OUT_SIZE={gout}"),
            "IN_PARALLELISM=16".into(),
            "OUT_PARALLELISM=4".into(),
        ],
    )?)?;
    let gin_t = big.random_inputs(&mut Rng::new(3), grows);
    let mut golden_rates = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let y = big.golden(&gin_t)?;
        let secs = t.elapsed().as_secs_f64();
        std::hint::black_box(y);
        golden_rates.push((grows * gin * gout) as f64 / secs);
    }

    // Each Rust run is paired with the C++ run right after it; the median of the paired
    // ratios is robust to load that changes between pairs.
    let mut ratios: Vec<f64> = rust_rates
        .iter()
        .zip(&cpp_rates)
        .map(|(r, c)| r / c)
        .collect();
    let ratio = median(&mut ratios);
    Ok(CosimFigures {
        rows,
        cycles: sim_cycles,
        reps,
        rust: median(&mut rust_rates),
        rust_total: median(&mut rust_total_rates),
        cpp: median(&mut cpp_rates),
        ratio: (ratio, ratios[0], ratios[ratios.len() - 1]),
        golden_macs: median(&mut golden_rates),
    })
}

pub fn cosim(cycles: u64, reps: usize) -> Result<()> {
    let f = cosim_figures(cycles, reps)?;
    println!(
        "bench cosim: linear {} ({} rows, {} simulated cycles, median of {})",
        linear_label(),
        f.rows,
        f.cycles,
        f.reps
    );
    println!(
        "  {:<44} {:>14.0} cycles/s",
        "Rust harness (FFI, per-beat golden compare)", f.rust
    );
    println!(
        "  {:<44} {:>14.0} cycles/s",
        "hand-written C++ Verilator main loop", f.cpp
    );
    println!(
        "  {:<44} {:>14.0} cycles/s",
        "Rust harness incl. stimulus packing, ROM I/O", f.rust_total
    );
    println!(
        "  {:<44} {:>14.3}  (median of paired runs; min {:.3}, max {:.3})",
        "ratio Rust / C++ (target >= 0.8)", f.ratio.0, f.ratio.1, f.ratio.2
    );
    println!(
        "  {:<44} {:>14.3e} MAC/s (64x512 by 512x512)",
        "golden model linear", f.golden_macs
    );
    Ok(())
}

/// A compiled C++ main loop over the same Verilator model and beats.
struct CppLoop {
    dir: PathBuf,
}

impl CppLoop {
    /// Writes the beats and compiles the loop against the model's objects.
    fn build(
        v: &sim::Verilator,
        inst: &dyn Instance,
        inputs: &generator::TensorMap,
        expected: &generator::TensorMap,
    ) -> Result<CppLoop> {
        let streams = inst.streams();
        let (sin, sout) = (&streams[0], &streams[streams.len() - 1]);
        let in_beats = inst.stream_beats(sin, inputs)?;
        let mut all = inputs.clone();
        all.extend(expected.iter().map(|(k, v)| (k.clone(), v.clone())));
        let out_beats = inst.stream_beats(sout, &all)?;
        let in_words: Vec<Vec<u32>> = in_beats
            .iter()
            .map(|b| bits::pack(b, sin.format()))
            .collect();
        let out_words: Vec<Vec<u32>> = out_beats
            .iter()
            .map(|b| bits::pack(b, sout.format()))
            .collect();
        let (wi, wo) = (in_words[0].len(), out_words[0].len());

        // The model's build directory (same cache key as the harness's build).
        let lib = Dut::build(v, inst, false).map_err(|e| anyhow::anyhow!(e))?;
        let dir = lib.library_dir().to_path_buf();
        let bench = dir.join("bench");
        fs::create_dir_all(&bench)?;
        let data = |words: &[Vec<u32>]| {
            words
                .iter()
                .flatten()
                .flat_map(|w| w.to_le_bytes())
                .collect::<Vec<u8>>()
        };
        fs::write(bench.join("in.bin"), data(&in_words))?;
        fs::write(bench.join("out.bin"), data(&out_words))?;

        let mut src = String::new();
        let _ = write!(
            src,
            r#"// Hand-written Verilator main loop used as the speed reference of `mase-hw bench cosim`.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>
#include "Vmodel.h"
#include "verilated.h"
static std::vector<uint32_t> load(const char* p) {{
    std::vector<uint32_t> v; FILE* f = std::fopen(p, "rb"); if (!f) return v;
    uint32_t w; while (std::fread(&w, 4, 1, f) == 1) v.push_back(w); std::fclose(f); return v;
}}
int main(int argc, char** argv) {{
    const int WI = {wi}, WO = {wo};
    std::vector<uint32_t> in = load(argv[1]), exp = load(argv[2]);
    int reps = argc > 3 ? std::atoi(argv[3]) : 1;
    size_t nin = in.size() / WI, nout = exp.size() / WO;
    for (int r = 0; r < reps; ++r) {{
        VerilatedContext ctx;
        Vmodel* t = new Vmodel{{&ctx, "top"}};
        t->rst = 1;
        for (int i = 0; i < 3; ++i) {{ t->clk = 0; t->eval(); t->clk = 1; t->eval(); }}
        t->rst = 0;
        size_t pos = 0, got = 0, bad = 0; uint64_t cycles = 0;
        uint32_t* din = reinterpret_cast<uint32_t*>({din});
        const uint32_t* dout = reinterpret_cast<const uint32_t*>({dout});
        auto t0 = std::chrono::steady_clock::now();
        while (got < nout) {{
            if (pos < nin) {{ std::memcpy(din, &in[pos * WI], 4 * WI); t->data_in_valid = 1; }} else t->data_in_valid = 0;
            t->data_out_ready = 1;
            t->clk = 0; t->eval();
            if (t->data_in_valid && t->data_in_ready) ++pos;
            if (t->data_out_valid) {{ if (std::memcmp(dout, &exp[got * WO], 4 * WO) != 0) ++bad; ++got; }}
            t->clk = 1; t->eval();
            ++cycles;
        }}
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%llu %.9f %zu\n", (unsigned long long)cycles, s, bad);
        t->final(); delete t;
    }}
    return 0;
}}
"#,
            din = if sin.data_width() > 64 {
                "t->data_in.data()"
            } else {
                "&t->data_in"
            },
            dout = if sout.data_width() > 64 {
                "t->data_out.data()"
            } else {
                "&t->data_out"
            },
        );
        fs::write(bench.join("main.cpp"), src)?;
        let root = v.root()?.display().to_string();
        let obj = dir.join("obj");
        let status = Command::new("c++")
            .args(["-O2", "-std=gnu++17", "-o"])
            .arg(bench.join("main"))
            .arg(bench.join("main.cpp"))
            .arg(format!("-I{}", obj.display()))
            .arg(format!("-I{root}/include"))
            .arg(format!("-I{root}/include/vltstd"))
            .arg(obj.join("mh_all.o"))
            .arg(v.runtime(false)?)
            .arg("-pthread")
            .status()?;
        if !status.success() {
            bail!("compiling the C++ reference loop failed");
        }
        Ok(CppLoop { dir: bench })
    }

    /// One run; cycles per second of its loop.
    fn run_once(&self) -> Result<f64> {
        let d = &self.dir;
        let out = Command::new(d.join("main"))
            .arg(d.join("in.bin"))
            .arg(d.join("out.bin"))
            .arg("1")
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() != 3 {
            bail!(
                "the C++ loop printed {text:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if f[2] != "0" {
            bail!("the C++ loop saw {} mismatching beats", f[2]);
        }
        Ok(f[0].parse::<f64>()? / f[1].parse::<f64>()?)
    }
}

/// What `bench gen` measures: the design's summary, each stage's median and the
/// median total (seconds).
pub struct GenFigures {
    pub summary: String,
    pub stages: Vec<(&'static str, f64)>,
    pub total: f64,
    pub reps: usize,
}

/// The whole of `mase-hw gen --no-accuracy` (model, synthetic weights, calibration,
/// mapping, rendering, writing the directory) `reps` times (freeing the design is timed
/// but not counted: `gen` exits without it).
pub fn generation_figures(
    model: &std::path::Path,
    config: Option<PathBuf>,
    reps: usize,
) -> Result<GenFigures> {
    use crate::generate::{Stages, build};
    let reps = reps.max(1);
    let dir = std::env::temp_dir().join(format!("mase-hw-bench-gen-{}", std::process::id()));
    let args = bench_gen_args(model, config, dir.clone());
    let mut runs: Vec<Stages> = Vec::new();
    let mut totals = Vec::new();
    let mut summary = String::new();
    for _ in 0..reps {
        let t0 = Instant::now();
        let mut stages = Stages::new();
        let b = build(&args, &mut stages)?;
        let t = Instant::now();
        generator::emit::write_dir(&b.files, &dir)?;
        stages.push(("write", t.elapsed().as_secs_f64()));
        let drop_t = Instant::now();
        let bytes: usize = b.files.values().map(String::len).sum();
        summary = format!(
            "{}: {} instances, {} files, {:.1} MB",
            b.sys.net.name,
            b.sys.net.nodes.len(),
            b.files.len(),
            bytes as f64 / 1e6
        );
        // `gen` exits without freeing; timed apart, not in the total.
        totals.push(t0.elapsed().as_secs_f64());
        drop(b);
        stages.push(("(free)", drop_t.elapsed().as_secs_f64()));
        runs.push(stages);
        let _ = fs::remove_dir_all(&dir);
    }
    let stages = runs[0]
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            let mut v: Vec<f64> = runs.iter().map(|r| r[k].1).collect();
            (*name, median(&mut v))
        })
        .collect();
    Ok(GenFigures {
        summary,
        stages,
        total: median(&mut totals),
        reps,
    })
}

/// `mase-hw bench gen`: [`generation_figures`], each stage's median and the median
/// total against the 2-second target.
pub fn generation(model: &std::path::Path, config: Option<PathBuf>, reps: usize) -> Result<()> {
    let f = generation_figures(model, config, reps)?;
    println!("{}", f.summary);
    for (name, secs) in &f.stages {
        println!("  {name:<12} median {secs:.3} s");
    }
    println!(
        "gen total: median {:.3} s over {} runs (target 2 s: ratio {:.2})",
        f.total,
        f.reps,
        f.total / 2.0
    );
    Ok(())
}

/// The `gen` arguments of the benchmarks: `model` under `config`, synthetic weights,
/// seq 128, no accuracy run, no board.
fn bench_gen_args(
    model: &std::path::Path,
    config: Option<PathBuf>,
    output: PathBuf,
) -> crate::generate::GenArgs {
    use crate::generate::GenArgs;
    use crate::system_run::Init;
    GenArgs {
        model: model.to_path_buf(),
        seq_len: 128,
        config,
        weights: None,
        init: Init::Auto,
        seed: 0,
        calibration: None,
        layers: None,
        calibration_inputs: None,
        calibration_text: None,
        calibration_quantile: 1.0,
        eval_text: None,
        min_cosine: None,
        output,
        top: None,
        items: None,
        per_layer: false,
        no_accuracy: true,
        report: false,
        verilator: false,
        budget: Default::default(),
        board: crate::plan::BoardArgs {
            board: None,
            devices: None,
            clock: None,
            link_gbps: 100.0,
            links: 1,
            target: None,
            max_devices: 16,
            cuts: Default::default(),
        },
    }
}

/// Builds `model` under `config` (synthetic weights, no files written; `None` = the
/// default config: 16 bits, one lane).
fn build_system(
    model: &std::path::Path,
    config: Option<&std::path::Path>,
) -> Result<crate::generate::Built> {
    use crate::generate::{Stages, build};
    let args = bench_gen_args(
        model,
        config.map(std::path::Path::to_path_buf),
        std::env::temp_dir(),
    );
    build(&args, &mut Stages::new())
}

/// Median wall time of the fast engine over `reps` runs of `items` items, no stalls;
/// with the run's summary and handshake count.
fn time_fast(
    sys: &system::SystemInstance,
    items: usize,
    reps: usize,
) -> Result<(f64, sim::cycle::system::Summary, usize)> {
    let mut secs = Vec::new();
    let mut last = None;
    for _ in 0..reps.max(1) {
        let mut net = sim::cycle::system::system_net(&sys.net, items)?;
        let t = Instant::now();
        net.run(&mut sim::cycle::NoStalls)?;
        secs.push(t.elapsed().as_secs_f64());
        let beats = net.streams.iter().map(|s| s.handshakes().len()).sum();
        last = Some((net.summary(items), beats));
    }
    let (sum, beats) = last.expect("at least one rep");
    Ok((median(&mut secs), sum, beats))
}

/// The fast engine (timing mode, no stalls) on `items` back-to-back items of one design.
pub struct FastFigures {
    pub instances: usize,
    /// Building the design (synthetic weights), once.
    pub build_secs: f64,
    /// Median wall time of the engine's run.
    pub secs: f64,
    pub latency_cycles: u64,
    /// First input beat to last output beat.
    pub span_cycles: u64,
    pub handshakes: usize,
}

/// [`FastFigures`] of `model` under `config` for each of `items` (one design build).
pub fn fast_figures(
    model: &std::path::Path,
    config: Option<&std::path::Path>,
    items: &[usize],
    reps: usize,
) -> Result<Vec<FastFigures>> {
    let t = Instant::now();
    let b = build_system(model, config)?;
    let build_secs = t.elapsed().as_secs_f64();
    let mut out = Vec::new();
    for &n in items {
        let (secs, sum, handshakes) = time_fast(&b.sys, n, reps)?;
        out.push(FastFigures {
            instances: b.sys.net.nodes.len(),
            build_secs,
            secs,
            latency_cycles: sum.latency_cycles,
            span_cycles: sum.first_in_to_last_out_cycles,
            handshakes,
        });
    }
    // Freed here (untimed): `bench all` builds several large designs in one process.
    drop(b);
    Ok(out)
}

/// The fast engine against Verilator on one item of the same design.
pub struct CompareFigures {
    pub instances: usize,
    /// Fast engine wall time (median), and the cycles it simulated (first in to last out).
    pub fast_secs: f64,
    pub fast_cycles: u64,
    /// Verilator's cycle loop (median) and the cycles it ran.
    pub verilator_secs: f64,
    pub verilator_cycles: u64,
    /// Building (or loading from the cache) the Verilator model.
    pub build_secs: f64,
    /// Whether the build ran without the model cache.
    pub cold: bool,
}

/// [`CompareFigures`] for one item of `model` under `config`. With `cold`, the
/// Verilator model is built into an empty model cache (sharing the Verilator
/// run-time library, which every model reuses), so the build time is a real build.
pub fn compare_figures(
    model: &std::path::Path,
    config: &std::path::Path,
    reps: usize,
    cold: bool,
) -> Result<CompareFigures> {
    let c = build_system(model, Some(config))?;
    let (fast_secs, fast_sum, _) = time_fast(&c.sys, 1, reps)?;
    let mut v = sim::Verilator::discover()?;
    let cold_dir = sim::tools::cache_dir().join(format!("bench-cold-{}", std::process::id()));
    if cold {
        // Any runtime the normal cache holds is linked in, not rebuilt.
        // ccache is off too: a cold build compiles every unit.
        let _ = fs::remove_dir_all(&cold_dir);
        let cold_models = cold_dir.join("verilator");
        fs::create_dir_all(&cold_models)?;
        let normal = sim::tools::cache_dir().join("verilator");
        for e in fs::read_dir(&normal).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with("runtime-") {
                std::os::unix::fs::symlink(e.path(), cold_models.join(e.file_name()))?;
            }
        }
        v = v.with_cache(&cold_dir).with_ccache(false);
    }
    let t = Instant::now();
    let dut = Dut::build(&v, &c.sys, false).map_err(|e| anyhow::anyhow!(e));
    let build_secs = t.elapsed().as_secs_f64();
    let dut = dut?;
    let (_, x) = crate::system_run::sample_items(&c.graph, &c.sys, 0, 1)?;
    let mut inputs = c.sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = c.sys.golden(&inputs)?;
    let mut vsecs = Vec::new();
    let mut vcycles = 0;
    for _ in 0..reps.max(1) {
        let out = dut
            .run(&inputs, &expected, Stall::None, 1, None)
            .map_err(|e| anyhow::anyhow!(e))?;
        if !out.passed() {
            bail!(
                "Verilator run of {} failed: {:?}",
                model.display(),
                out.errors
            );
        }
        vsecs.push(out.loop_secs);
        vcycles = out.cycles;
    }
    if cold {
        let _ = fs::remove_dir_all(&cold_dir);
    }
    Ok(CompareFigures {
        instances: c.sys.net.nodes.len(),
        fast_secs,
        fast_cycles: fast_sum.first_in_to_last_out_cycles,
        verilator_secs: median(&mut vsecs),
        verilator_cycles: vcycles,
        build_secs,
        cold,
    })
}

/// `mase-hw bench sim`: the fast engine's wall time on one sequence of `model`, and the
/// fast engine against Verilator (cycle loop only) on one sequence of `cmp_model`.
pub fn fast_sim(
    model: &std::path::Path,
    config: &std::path::Path,
    cmp_model: &std::path::Path,
    cmp_config: &std::path::Path,
    reps: usize,
) -> Result<()> {
    let f = fast_figures(model, Some(config), &[1], reps)?.remove(0);
    println!(
        "{}: {} instances, built in {:.1} s",
        model.display(),
        f.instances,
        f.build_secs
    );
    println!(
        "fast engine, 1 sequence, timing mode: {:.3} s wall (median of {}), latency {} cycles, first in -> last out {} cycles, {} handshakes, {:.2} M simulated cycles/s",
        f.secs,
        reps.max(1),
        f.latency_cycles,
        f.span_cycles,
        f.handshakes,
        f.span_cycles as f64 / f.secs / 1e6
    );
    let c = compare_figures(cmp_model, cmp_config, reps, false)?;
    println!(
        "{}: fast {:.4} s vs Verilator {:.4} s (cycle loop; {} cycles; model build {:.1} s): fast is {:.1}x faster",
        cmp_model.display(),
        c.fast_secs,
        c.verilator_secs,
        c.verilator_cycles,
        c.build_secs,
        c.verilator_secs / c.fast_secs,
    );
    Ok(())
}

/// `mase-hw bench …`: the benchmarks.
#[derive(clap::Subcommand)]
pub enum BenchCmd {
    /// Every benchmark in one run, one table: co-simulation (Rust harness, C++ loop,
    /// cocotb), Icarus vs Verilator, gen wall time, the fast engine (`make bench`).
    All(crate::bench_all::BenchAllArgs),
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
    Build(crate::bench_build::BenchBuildArgs),
}

/// Runs one `bench` subcommand.
pub fn run(cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::All(args) => crate::bench_all::run(args),
        BenchCmd::Cosim { cycles, reps } => {
            if cycles == 0 || reps == 0 || cycles > 1_000_000_000 {
                return Err(crate::user(
                    "bench cosim: --cycles must be in 1..=10^9 and --reps at least 1",
                ));
            }
            cosim(cycles, reps)
        }
        BenchCmd::Sim {
            model,
            config,
            compare_model,
            compare_config,
            reps,
        } => fast_sim(&model, &config, &compare_model, &compare_config, reps),
        BenchCmd::Gen {
            model,
            config,
            reps,
        } => generation(&model, config, reps),
        BenchCmd::Build(args) => crate::bench_build::run(&args),
    }
}
