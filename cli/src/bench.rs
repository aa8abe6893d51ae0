//! `mase-hw bench cosim`: measures, in one run and side by side, the co-simulation
//! harness (Rust driving the Verilator model through the generated FFI, comparing every
//! beat with the golden model) against a hand-written C++ main loop that drives the
//! same Verilator model with the same beats, plus the golden model's MAC throughput.
//! Reports medians over repetitions and the ratio, since the machine is noisy.

use std::fmt::Write as _;
use std::fs;
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

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn cosim(cycles: u64, reps: usize) -> Result<()> {
    let reps = reps.max(1);
    let params: Vec<String> = LINEAR.iter().map(|s| s.to_string()).collect();
    let c = generator::components::find("linear")?;
    let inst = c.elaborate(&generator::Params::parse("linear", c.params(), &params)?)?;
    let v = sim::Verilator::discover()?;
    let dut = Dut::build(&v, &*inst, false).map_err(|e| anyhow::anyhow!(e))?;

    // Enough rows for about `cycles` cycles: one row takes KB*JB cycles.
    let kb = 64 / 16;
    let jb = 16 / 4;
    let rows = (cycles as usize / (kb * jb)).max(1);
    let inputs = inst.random_inputs(&mut Rng::new(7), rows);
    let expected = inst.golden(&inputs)?;

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
    let (r, cpp, g) = (
        median(&mut rust_rates),
        median(&mut cpp_rates),
        median(&mut golden_rates),
    );
    println!(
        "bench cosim: linear {} ({} rows, {} simulated cycles, median of {reps})",
        LINEAR.join(" "),
        rows,
        sim_cycles
    );
    println!(
        "  {:<44} {:>14.0} cycles/s",
        "Rust harness (FFI, per-beat golden compare)", r
    );
    println!(
        "  {:<44} {:>14.0} cycles/s",
        "hand-written C++ Verilator main loop", cpp
    );
    println!(
        "  {:<44} {:>14.0} cycles/s",
        "Rust harness incl. stimulus packing, ROM I/O",
        median(&mut rust_total_rates)
    );
    println!(
        "  {:<44} {:>14.3}  (median of paired runs; min {:.3}, max {:.3})",
        "ratio Rust / C++ (target >= 0.8)",
        ratio,
        ratios[0],
        ratios[ratios.len() - 1]
    );
    println!(
        "  {:<44} {:>14.3e} MAC/s ({grows}x{gin} by {gout}x{gin})",
        "golden model linear", g
    );
    Ok(())
}

/// A compiled C++ main loop over the same Verilator model and beats.
struct CppLoop {
    dir: std::path::PathBuf,
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

/// `mase-hw bench gen`: the whole of `mase-hw gen --no-accuracy` (model, synthetic
/// weights, calibration, mapping, rendering, writing the directory) `reps` times;
/// prints each stage's median and the median total against the 2-second target
/// (freeing the design is timed but not counted: `gen` exits without it).
pub fn generation(
    model: &std::path::Path,
    config: Option<std::path::PathBuf>,
    reps: usize,
) -> Result<()> {
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
    println!("{summary}");
    for (k, (name, _)) in runs[0].iter().enumerate() {
        let mut v: Vec<f64> = runs.iter().map(|r| r[k].1).collect();
        println!("  {name:<12} median {:.3} s", median(&mut v));
    }
    let total = median(&mut totals);
    println!(
        "gen total: median {total:.3} s over {reps} runs (target 2 s: ratio {:.2})",
        total / 2.0
    );
    Ok(())
}

/// The `gen` arguments of the benchmarks: `model` under `config`, synthetic weights,
/// seq 128, no accuracy run, no board.
fn bench_gen_args(
    model: &std::path::Path,
    config: Option<std::path::PathBuf>,
    output: std::path::PathBuf,
) -> crate::generate::GenArgs {
    use crate::generate::{GenArgs, Init};
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
        board: crate::generate::BoardArgs {
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

/// Builds `model` under `config` (synthetic weights, no files written).
fn build_system(
    model: &std::path::Path,
    config: &std::path::Path,
) -> Result<crate::generate::Built> {
    use crate::generate::{Stages, build};
    let args = bench_gen_args(model, Some(config.to_path_buf()), std::env::temp_dir());
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

/// `mase-hw bench sim`: the fast engine's wall time on one sequence of `model`, and the
/// fast engine against Verilator (cycle loop only) on one sequence of `cmp_model`.
pub fn fast_sim(
    model: &std::path::Path,
    config: &std::path::Path,
    cmp_model: &std::path::Path,
    cmp_config: &std::path::Path,
    reps: usize,
) -> Result<()> {
    let t = Instant::now();
    let b = build_system(model, config)?;
    println!(
        "{}: {} instances, built in {:.1} s",
        model.display(),
        b.sys.net.nodes.len(),
        t.elapsed().as_secs_f64()
    );
    let (secs, sum, beats) = time_fast(&b.sys, 1, reps)?;
    println!(
        "fast engine, 1 sequence, timing mode: {secs:.3} s wall (median of {}), latency {} cycles, first in -> last out {} cycles, {beats} handshakes, {:.2} M simulated cycles/s",
        reps.max(1),
        sum.latency_cycles,
        sum.first_in_to_last_out_cycles,
        sum.first_in_to_last_out_cycles as f64 / secs / 1e6
    );
    std::mem::forget(b);

    let c = build_system(cmp_model, cmp_config)?;
    let (fast_secs, fast_sum, _) = time_fast(&c.sys, 1, reps)?;
    let v = sim::Verilator::discover()?;
    let t = Instant::now();
    let dut = Dut::build(&v, &c.sys, false).map_err(|e| anyhow::anyhow!(e))?;
    let build_secs = t.elapsed().as_secs_f64();
    let (_, x) = crate::generate::sample_items(&c.graph, &c.sys, 0, 1)?;
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
                cmp_model.display(),
                out.errors
            );
        }
        vsecs.push(out.loop_secs);
        vcycles = out.cycles;
    }
    let vs = median(&mut vsecs);
    println!(
        "{}: fast {fast_secs:.4} s vs Verilator {vs:.4} s (cycle loop; {vcycles} cycles; model build {build_secs:.1} s): fast is {:.1}x faster; latency {} cycles in the fast engine",
        cmp_model.display(),
        vs / fast_secs,
        fast_sum.latency_cycles
    );
    Ok(())
}
