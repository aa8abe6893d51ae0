//! `mase-hw sim system --engine verilator --report`: the report carries every node's
//! first and last beat and shares and every FIFO's depth and peak, measured in
//! Verilator through the monitor wrapper, and they equal the fast engine's report of
//! the same run (same items, stall pattern and seed). The generated directory is left
//! byte for byte as `gen` wrote it (the wrapper lives only in the Verilator build).

mod common;

use common::{mase, root, stderr, tmp, tree};
use serde_json::Value;

fn report(dir: &str, engine: &str, path: &std::path::Path) -> Value {
    let o = mase(&[
        "sim",
        "system",
        dir,
        "--engine",
        engine,
        "--random",
        "3",
        "--stalls",
        "both",
        "--seed",
        "9",
        "--report",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{engine}: {}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sim_system_verilator_report_fills_nodes_and_fifos_as_the_fast_engine() {
    if testbenches::verilator_or_skip("sim_report").is_none() {
        return;
    }
    let d = tmp("vl-report");
    let out = d.join("gated");
    let data = root().join("system/tests/data");
    let o = mase(&[
        "gen",
        "--model",
        data.join("gated.json").to_str().unwrap(),
        "--config",
        data.join("gated.toml").to_str().unwrap(),
        "--no-accuracy",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = tree(&out);
    let dir = out.to_str().unwrap();
    let v = report(dir, "verilator", &d.join("v.json"));
    let f = report(dir, "fast", &d.join("f.json"));
    assert_eq!(tree(&out), before, "the design directory changed");
    assert_eq!(v["engine"], "verilator");
    for k in [
        "items",
        "latency_cycles",
        "first_in_to_last_out_cycles",
        "cycles_per_item",
    ] {
        assert_eq!(v[k], f[k], "{k}");
    }
    let (vn, fnodes) = (
        v["nodes"].as_array().unwrap(),
        f["nodes"].as_array().unwrap(),
    );
    assert!(!vn.is_empty());
    assert_eq!(vn.len(), fnodes.len());
    for (a, b) in vn.iter().zip(fnodes) {
        let name = &a["name"];
        assert_eq!(name, &b["name"]);
        assert_eq!(a["shares"], "stream", "{name}");
        assert!(a["first_in"].is_u64() && a["last_out"].is_u64(), "{name}");
        for k in ["first_in", "last_out"] {
            assert_eq!(a[k], b[k], "node {name} {k}");
        }
        let sum: f64 = ["busy", "starved", "backpressured"]
            .iter()
            .map(|k| a[k].as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-9, "node {name}: shares sum to {sum}");
        if b["shares"] == "stream" {
            for k in ["busy", "starved", "backpressured"] {
                assert_eq!(a[k], b[k], "node {name} {k}");
            }
        }
    }
    let (vf, ff) = (
        v["fifos"].as_array().unwrap(),
        f["fifos"].as_array().unwrap(),
    );
    assert!(!vf.is_empty(), "the gated graph has reconvergent FIFOs");
    assert_eq!(vf, ff);
    assert!(vf.iter().all(|x| x["peak"].as_u64().unwrap() > 0));
    let _ = std::fs::remove_dir_all(&d);
}

/// A directory written with `--devices 2`: the fast engine runs both devices joined by
/// cycle models of the link (not the unsplit netlist), so its latency and span equal
/// Verilator's run of the split design under each stall pattern; data mode and a
/// Verilator report are refused with exit 2 for such a directory.
#[test]
fn sim_system_fast_on_a_two_device_directory_simulates_the_link() {
    if testbenches::verilator_or_skip("sim_report").is_none() {
        return;
    }
    let d = tmp("multi-fast");
    let out = d.join("jsc2");
    let o = mase(&[
        "gen",
        "--model",
        root().join("examples/jsc-mlp.json").to_str().unwrap(),
        "--config",
        root().join("examples/jsc-mlp-q.toml").to_str().unwrap(),
        "--devices",
        "2",
        "--no-accuracy",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = out.to_str().unwrap();
    // "latency N cycles" and the span of all items, from either engine's printout.
    let figures = |engine: &str, stalls: &str| -> (u64, u64) {
        let o = mase(&[
            "sim", "system", dir, "--engine", engine, "--random", "3", "--stalls", stalls,
            "--seed", "4",
        ]);
        assert!(o.status.success(), "{engine} {stalls}: {}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(
            text.contains("2 devices joined by link models"),
            "{engine}: {text}"
        );
        let num = |after: &str| -> u64 {
            text.split(after)
                .nth(1)
                .and_then(|t| {
                    t.trim_start_matches(|c: char| !c.is_ascii_digit())
                        .split(|c: char| !c.is_ascii_digit())
                        .next()
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{engine}: no `{after}` in {text}"))
        };
        let span = if engine == "fast" {
            num("last output ")
        } else {
            num("cycles (first item), ")
        };
        (num("latency "), span)
    };
    for stalls in ["none", "idle", "backpressure", "both"] {
        let fast = figures("fast", stalls);
        let vl = figures("verilator", stalls);
        assert_eq!(fast, vl, "{stalls}: fast (latency, span) vs Verilator");
    }
    // (The unsplit netlist, which the fast engine used to run here, gives 216 cycles of
    // latency against the split design's 284 without stalls.)
    let o = mase(&[
        "sim", "system", dir, "--engine", "fast", "--mode", "data", "--random", "2",
    ]);
    common::assert_user_error(&o, "--mode data");
    let o = mase(&[
        "sim",
        "system",
        dir,
        "--engine",
        "verilator",
        "--random",
        "2",
        "--report",
        d.join("r.json").to_str().unwrap(),
    ]);
    common::assert_user_error(&o, "--report");
    assert!(!d.join("r.json").exists());
    let _ = std::fs::remove_dir_all(&d);
}
