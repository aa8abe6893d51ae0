//! Byte-level fuzzing of the model frontend's parsers, driven by proptest (`cargo
//! fuzz` needs a nightly toolchain). Each target mutates the seed files of
//! `fuzz/corpus/<target>/` (byte flips, insertions of tokens that break parsers —
//! huge numbers, `NaN`, quotes, brackets —, deletions, duplications, truncations) and
//! checks that parsing (and, where it succeeds, the next stage) returns `Ok` or a
//! one-line error: never a panic, never an unbounded allocation (a parsed graph must
//! pass its budget check before anything is sized from it). Inputs that once failed
//! are replayed first from `fuzz/regressions/<target>/`. The run is bounded by
//! `FUZZ_SECS` per target (default 2) and `FUZZ_CASES` (default 100000); `make fuzz`
//! raises the time.

#[path = "../../fuzz/harness.rs"]
mod harness;

use harness::{fuzz, root};
use model::budget::{Budget, check};
use model::graph::Graph;

fn tight() -> Budget {
    Budget {
        max_bytes: 256 << 20,
        max_macs: 1 << 32,
    }
}

fn jsc() -> Graph {
    model::json::load(&root().join("examples/jsc-mlp.json")).unwrap()
}

#[test]
fn fuzz_model_json() {
    fuzz("model_json", Vec::new(), |b| {
        let Ok(text) = std::str::from_utf8(b) else {
            return;
        };
        if let Ok(g) = model::json::from_json(text) {
            // A graph that parsed is sized only after its budget check.
            if check(&g, 1, &tight()).is_ok() {
                let _ = model::json::to_json(&g);
                let w = model::weights::Weights::synthetic(&g, 1);
                assert!(w.num_elements() <= 256 << 20);
            }
        }
    });
}

#[test]
fn fuzz_hf_config() {
    fuzz("hf_config", Vec::new(), |b| {
        let Ok(text) = std::str::from_utf8(b) else {
            return;
        };
        if let Ok(cfg) = model::hf::BertConfig::from_json(text) {
            // Expansion only builds shapes; it must stay small for any accepted config.
            if let Ok(g) = model::hf::expand(&cfg, 8, "fuzz") {
                let _ = check(&g, 1, &tight());
            }
        }
    });
}

#[test]
fn fuzz_quant_toml() {
    let g = jsc();
    let w = model::weights::Weights::synthetic(&g, 1);
    fuzz("quant_toml", Vec::new(), |b| {
        let Ok(text) = std::str::from_utf8(b) else {
            return;
        };
        if let Ok(cfg) = model::quant::QuantConfig::from_toml(text) {
            let _ = cfg.resolve(&g, Some(&w), None);
        }
    });
}

#[test]
fn fuzz_safetensors() {
    let g = jsc();
    let w = model::weights::Weights::synthetic(&g, 1);
    let seed = w.to_safetensors(model::weights::FileDtype::F32).unwrap();
    fuzz("safetensors", vec![seed], |b| {
        let _ = model::weights::Weights::from_safetensors(b, &g);
    });
}
