//! Times the model frontend's part of `gen` for bert-base (seq 128) with synthetic
//! weights, step by step: expand the Hugging Face config and validate, draw 85 M
//! weights, the calibration run of the float reference (one seeded sequence, then
//! `Activations::ranges`), resolving the default quantization config, and quantizing
//! every weight (per element with `TensorQuant::quantize`, and with
//! `TensorQuant::quantize_all`). Also times loading `examples/bert-base.json`, a
//! bert-tiny float run and the erf-based GELU. Run with
//! `cargo bench -p model --bench build` (an argument filters the steps by label).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use model::hf::{BertConfig, expand, expand_synthetic};
use model::quant::QuantConfig;
use model::{float, json, weights::Weights};

fn time<T>(filter: &Option<String>, label: &str, runs: usize, mut f: impl FnMut() -> T) {
    if filter.as_ref().is_some_and(|s| !label.contains(s.as_str())) {
        return;
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{label:<52} min {:>9.3} ms   median {:>9.3} ms   ({runs} runs)",
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3
    );
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let filter = &filter;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("model frontend benchmark ({cores} threads available)");
    let base = BertConfig::base();
    time(filter, "bert-base: expand + validate", 10, || {
        expand(&base, 128, "bert-base")
    });
    time(
        filter,
        "bert-base: expand + validate + synthetic weights",
        5,
        || expand_synthetic(&base, 128, "bert-base", 0),
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bert-base.json");
    time(
        filter,
        "bert-base: load + validate examples/bert-base.json",
        10,
        || json::load(&path),
    );
    let tiny = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap_or_else(|e| panic!("{e}"));
    let w = Weights::synthetic(&tiny, 0);
    let x = float::synthetic_inputs(&tiny, 0);
    time(filter, "bert-tiny: float reference run", 20, || {
        float::run(&tiny, &w, &x)
    });
    let xs: Vec<f64> = (0..1_000_000).map(|i| (i as f64 / 1e5) - 5.0).collect();
    time(filter, "erf-based GELU, 1 M values in [-5, 5)", 5, || {
        xs.iter().map(|x| model::erf::gelu(*x)).sum::<f64>()
    });
    let base_steps = [
        "bert-base: calibration (float run + ranges)",
        "bert-base: resolve the default quant config",
        "bert-base: quantize all weights, per element",
        "bert-base: quantize all weights, quantize_all",
    ];
    if filter
        .as_ref()
        .is_some_and(|f| !base_steps.iter().any(|l| l.contains(f.as_str())))
    {
        return;
    }
    let (g, w) = expand_synthetic(&base, 128, "bert-base", 0).unwrap_or_else(|e| panic!("{e}"));
    let x = float::synthetic_inputs(&g, 0);
    let mut ranges = Default::default();
    time(
        filter,
        "bert-base: calibration (float run + ranges)",
        5,
        || {
            ranges = float::run(&g, &w, &x)
                .unwrap_or_else(|e| panic!("{e}"))
                .ranges();
        },
    );
    let cfg = QuantConfig::default();
    let mut plan = None;
    time(
        filter,
        "bert-base: resolve the default quant config",
        5,
        || {
            plan = Some(cfg.resolve(&g, Some(&w), Some(&ranges)));
        },
    );
    let Some(Ok(plan)) = plan else {
        return;
    };
    time(
        filter,
        "bert-base: quantize all weights, per element",
        3,
        || {
            w.iter()
                .map(|(name, t)| {
                    let q = plan.tensors[name];
                    t.data
                        .iter()
                        .map(|&v| q.quantize(f64::from(v)))
                        .collect::<Result<Vec<i128>, _>>()
                        .map_or(0, |v| v.len())
                })
                .sum::<usize>()
        },
    );
    time(
        filter,
        "bert-base: quantize all weights, quantize_all",
        5,
        || {
            w.iter()
                .map(|(name, t)| {
                    plan.tensors[name]
                        .quantize_all(&t.data)
                        .map_or(0, |v| v.len())
                })
                .sum::<usize>()
        },
    );
}
