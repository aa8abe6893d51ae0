//! The plain cocotb row of `mase-hw bench all`: the benchmarked linear's cocotb
//! testbench (`testbenches::cocotb`, flat-port wrapper and golden vectors) with a plain
//! test beside it, one cycle per await, no stalls, every output beat compared, timed
//! with Python's own clock around the loop, built and run with cocotb's Verilator
//! runner from `.hwenv`. It reports what cocotb reports, nothing of mase-hw's harness.

use std::process::Command;

use anyhow::{Context, Result, bail};
use generator::component::Instance;
use generator::tensor::TensorMap;

/// The plain test: drive the one input stream, accept the one output stream, count
/// cycles, compare every beat, write the figures to `bench_result.json`.
const PLAIN_TEST: &str = r#""""Plain cocotb loop over the golden vectors: no stalls, ready always high."""

import json
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

HERE = Path(__file__).resolve().parent
VECTORS = json.loads((HERE / "vectors.json").read_text())


@cocotb.test()
async def plain_loop(dut):
    (sin,) = [s for s in VECTORS["streams"] if s["direction"] == "input"]
    (sout,) = [s for s in VECTORS["streams"] if s["direction"] == "output"]
    din, dv, dr = (getattr(dut, sin["name"] + x) for x in ("", "_valid", "_ready"))
    dout, ov, orr = (getattr(dut, sout["name"] + x) for x in ("", "_valid", "_ready"))
    beats = [int(b, 16) for b in sin["beats"]]
    expected = [int(b, 16) for b in sout["beats"]]
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dv.value = 0
    orr.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    pos = got = bad = cycles = 0
    t0 = time.perf_counter()
    while got < len(expected):
        if pos < len(beats):
            din.value = beats[pos]
            dv.value = 1
        else:
            dv.value = 0
        await ReadOnly()
        if pos < len(beats) and str(dr.value) == "1":
            pos += 1
        if str(ov.value) == "1":
            if int(dout.value) != expected[got]:
                bad += 1
            got += 1
        await FallingEdge(dut.clk)
        cycles += 1
        if cycles > 100 * (len(beats) + len(expected)) + 1000:
            break
    secs = time.perf_counter() - t0
    result = {"cycles": cycles, "secs": secs, "bad": bad, "got": got}
    (HERE / "bench_result.json").write_text(json.dumps(result))
    assert bad == 0 and got == len(expected), result
"#;

/// Builds (timed) and runs the plain test with the rendered runner's sources and top.
const RUNNER: &str = r#"import json
import sys
import time
from pathlib import Path

from cocotb_tools.runner import get_runner

import test_runner as tb

here = Path(__file__).resolve().parent
build_dir = here / "sim_build" / "plain"
runner = get_runner("verilator")
t = time.perf_counter()
runner.build(
    sources=[here / "rtl" / f for f in tb.SOURCES],
    hdl_toplevel=tb.TOP,
    build_dir=build_dir,
    build_args=["-Wno-fatal"],
    timescale=("1ns", "1ps"),
)
build_secs = time.perf_counter() - t
runner.test(
    hdl_toplevel=tb.TOP,
    test_module="test_plain",
    test_dir=here,
    build_dir=build_dir,
    timescale=("1ns", "1ps"),
)
result = json.loads((here / "bench_result.json").read_text())
result["build_secs"] = build_secs
print("BENCH " + json.dumps(result))
"#;

/// What the plain cocotb run measured.
pub struct CocotbFigures {
    pub cycles: u64,
    /// The loop's wall time (Python's clock).
    pub secs: f64,
    /// cocotb's Verilator build (seconds; small when its build directory is current).
    pub build_secs: f64,
}

/// Renders the testbench for `inst` on `inputs` into a fresh directory under the build
/// cache and runs the plain test once.
pub fn run(inst: &dyn Instance, inputs: &TensorMap, expected: &TensorMap) -> Result<CocotbFigures> {
    let py = sim::tools::hwenv().join("bin").join("python");
    let probe = Command::new(&py)
        .args(["-c", "import cocotb, cocotb_tools.runner"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        bail!(
            "{} cannot import cocotb and cocotb_tools; scripts/setup.sh installs them",
            py.display()
        );
    }
    let mut files = testbenches::cocotb::render(inst, "linear", inputs, expected)
        .map_err(|e| anyhow::anyhow!(e))?;
    files.insert("test_plain.py".into(), PLAIN_TEST.into());
    files.insert("bench_runner.py".into(), RUNNER.into());
    let dir = sim::tools::cache_dir().join("bench-cocotb");
    let _ = std::fs::remove_dir_all(&dir);
    generator::emit::write_dir(&files, &dir)
        .with_context(|| format!("writing {}", dir.display()))?;
    let out = Command::new(&py)
        .arg("bench_runner.py")
        .current_dir(&dir)
        .env("PATH", sim::tools::child_path())
        .env("RANDOM_SEED", "1")
        .output()
        .context("running cocotb")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("BENCH ")) else {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = text.lines().chain(err.lines()).rev().take(15).collect();
        bail!(
            "the plain cocotb test in {} printed no result:\n{}",
            dir.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    };
    let v: serde_json::Value = serde_json::from_str(line)?;
    let num = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    if num("bad") != 0.0 {
        bail!("the plain cocotb test saw {} mismatching beats", num("bad"));
    }
    Ok(CocotbFigures {
        cycles: num("cycles") as u64,
        secs: num("secs"),
        build_secs: num("build_secs"),
    })
}
