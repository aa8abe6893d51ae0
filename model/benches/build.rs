//! Times the model frontend's part of `gen` for bert-base (seq 128) with synthetic
//! weights: expand the Hugging Face config, validate, draw 85 M weights. Also times
//! loading `examples/bert-base.json` and float reference runs of bert-tiny and bert-base.
//! Run with `cargo bench -p model --bench build`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use model::hf::{BertConfig, expand, expand_synthetic};
use model::{float, json, weights::Weights};

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{label:<48} min {:>9.3} ms   median {:>9.3} ms   ({runs} runs)",
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3
    );
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("model frontend benchmark ({cores} threads available)");
    let base = BertConfig::base();
    time("bert-base: expand + validate", 10, || {
        expand(&base, 128, "bert-base")
    });
    time(
        "bert-base: expand + validate + synthetic weights",
        5,
        || expand_synthetic(&base, 128, "bert-base", 0),
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bert-base.json");
    time(
        "bert-base: load + validate examples/bert-base.json",
        10,
        || json::load(&path),
    );
    let tiny = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap_or_else(|e| panic!("{e}"));
    let w = Weights::synthetic(&tiny, 0);
    let x = float::synthetic_inputs(&tiny, 0);
    time("bert-tiny: float reference run", 20, || {
        float::run(&tiny, &w, &x)
    });
    let xs: Vec<f64> = (0..1_000_000).map(|i| (i as f64 / 1e5) - 5.0).collect();
    time("erf-based GELU, 1 M values in [-5, 5)", 5, || {
        xs.iter().map(|x| model::erf::gelu(*x)).sum::<f64>()
    });
    if let Ok((g, w)) = expand_synthetic(&base, 128, "bert-base", 0) {
        let x = float::synthetic_inputs(&g, 0);
        time("bert-base: float reference run (calibration)", 2, || {
            float::run(&g, &w, &x)
        });
    }
}
