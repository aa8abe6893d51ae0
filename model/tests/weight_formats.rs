//! Weight formats on a real checkpoint: all-MiniLM-L6-v2 (BERT, hidden 384, 6 layers)
//! on real sentences, final hidden states and the mean-pooled sentence embedding of
//! the float model with float weights against the float model with its linear weights
//! quantized through the quant config (`[weights] width`, `granularity`, `block`) and
//! [`model::quant::quantize_grouped`]. Activations stay float, so the figures isolate
//! the weight format. The checkpoint is the one setup extracts into
//! `.hwenv/models/all-MiniLM-L6-v2`; without it the test skips (fails under `CI=true`).
//!
//! The sentences' token ids come from the checkpoint's own `tokenizer.json`
//! (truncation to 16 tokens, `[CLS] … [SEP]`); the embedding (word + position +
//! token type, LayerNorm) is computed here from the same `model.safetensors`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use model::graph::Op;
use model::quant::{Granularity, QuantConfig, quantize_grouped};
use model::tensor::Tensor;
use model::weights::Weights;

const SEQ: usize = 16;

/// "The quick brown fox jumps over the lazy dog while the farmer watches from the old
/// wooden fence.", "Field-programmable gate arrays let engineers build custom hardware
/// accelerators for neural network inference.", "The central bank raised interest rates
/// again, citing persistent inflation in housing and energy prices." (truncated).
const SENTENCES: [[u32; SEQ]; 3] = [
    [
        101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 2096, 1996, 7500, 12197, 2013,
        102,
    ],
    [
        101, 2492, 1011, 2565, 24088, 4796, 27448, 2292, 6145, 3857, 7661, 8051, 23468, 2015, 2005,
        102,
    ],
    [
        101, 1996, 2430, 2924, 2992, 3037, 6165, 2153, 1010, 8951, 14516, 14200, 1999, 3847, 1998,
        102,
    ],
];

fn checkpoint() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.hwenv/models/all-MiniLM-L6-v2");
    if dir.join("model.safetensors").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI: checkpoint {} missing (run scripts/setup.sh)",
        dir.display()
    );
    eprintln!("skipping: checkpoint {} missing", dir.display());
    None
}

fn f32s(st: &safetensors::SafeTensors, name: &str) -> Vec<f32> {
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Word + position + token-type (0) embeddings, then LayerNorm: the encoder input.
fn embed(bytes: &[u8], ids: &[u32], hidden: usize, eps: f64) -> Vec<f64> {
    let st = safetensors::SafeTensors::deserialize(bytes).expect("safetensors");
    let word = f32s(&st, "embeddings.word_embeddings.weight");
    let pos = f32s(&st, "embeddings.position_embeddings.weight");
    let typ = f32s(&st, "embeddings.token_type_embeddings.weight");
    let gamma = f32s(&st, "embeddings.LayerNorm.weight");
    let beta = f32s(&st, "embeddings.LayerNorm.bias");
    let mut out = Vec::with_capacity(ids.len() * hidden);
    for (p, &id) in ids.iter().enumerate() {
        let e: Vec<f64> = (0..hidden)
            .map(|h| {
                f64::from(word[id as usize * hidden + h])
                    + f64::from(pos[p * hidden + h])
                    + f64::from(typ[h])
            })
            .collect();
        let mean = e.iter().sum::<f64>() / hidden as f64;
        let var = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / hidden as f64;
        let inv = 1.0 / (var + eps).sqrt();
        out.extend(
            e.iter()
                .enumerate()
                .map(|(h, v)| (v - mean) * inv * f64::from(gamma[h]) + f64::from(beta[h])),
        );
    }
    out
}

/// `weights` with every linear weight matrix replaced by its dequantized codes under
/// the `[weights]` section `section`.
fn quantized_weights(graph: &model::graph::Graph, weights: &Weights, section: &str) -> Weights {
    let cfg = QuantConfig::from_toml(&format!("[default]\nfrac = 8\n[weights]\n{section}\n"))
        .expect("config");
    let plan = cfg.resolve(graph, Some(weights), None).expect("resolve");
    let mut out = weights.clone();
    for node in &graph.nodes {
        let Op::Linear { weight, .. } = &node.op else {
            continue;
        };
        let t = weights.get(weight).expect("weight");
        let tq = &plan.tensors[weight];
        let data: Vec<f32> = if tq.granularity == Granularity::PerTensor {
            let raw = tq.quantize_all(&t.data).expect("quantize");
            raw.iter().map(|&r| tq.dequantize(r) as f32).collect()
        } else {
            let g = quantize_grouped(weight, tq, &t.data, t.shape[1]).expect("grouped");
            let f = g.format.frac();
            let groups = t.shape[1] / g.block;
            g.raw
                .iter()
                .enumerate()
                .map(|(n, &r)| {
                    let (o, i) = (n / t.shape[1], n % t.shape[1]);
                    let s = g.shifts[o * groups + i / g.block] as i32;
                    (r as f64 * 2f64.powi(s - f)) as f32
                })
                .collect()
        };
        out.insert(
            weight,
            Tensor {
                shape: t.shape.clone(),
                data,
            },
        );
    }
    out
}

#[test]
fn eight_bit_per_channel_and_mx_weights_keep_minilm_at_cosine_0_999() {
    let Some(dir) = checkpoint() else {
        return;
    };
    let cfg = model::hf::BertConfig::load(&dir.join("config.json")).expect("config");
    let graph = model::hf::expand(&cfg, SEQ, "minilm").expect("graph");
    let bytes = std::fs::read(dir.join("model.safetensors")).expect("read");
    let weights = Weights::from_safetensors(&bytes, &graph).expect("weights");
    let input = graph.inputs().next().expect("input").clone();
    let output = graph
        .nodes
        .iter()
        .find(|n| matches!(n.op, Op::Output))
        .expect("output")
        .inputs[0]
        .clone();
    let hidden = *input.shape.last().expect("hidden");
    let run = |w: &Weights, ids: &[u32]| -> Vec<f64> {
        let x = Tensor {
            shape: input.shape.clone(),
            data: embed(&bytes, ids, hidden, 1e-12),
        };
        let acts = model::float::run(&graph, w, &BTreeMap::from([(input.name.clone(), x)]))
            .expect("float run");
        acts.get(&output).expect("output").data.clone()
    };
    let pooled = |h: &[f64]| -> Vec<f64> {
        (0..hidden)
            .map(|c| h.chunks(hidden).map(|r| r[c]).sum::<f64>() / (h.len() / hidden) as f64)
            .collect()
    };
    let reference: Vec<Vec<f64>> = SENTENCES.iter().map(|s| run(&weights, s)).collect();
    let cases = [
        ("int8 per_tensor", "width = 8", None),
        (
            "int8 per_channel",
            "width = 8\ngranularity = \"per_channel\"",
            Some(0.999),
        ),
        (
            "MXINT8 block 32",
            "width = 8\ngranularity = \"mx\"\nblock = 32",
            Some(0.999),
        ),
        ("MXINT6 block 32", "width = 6\ngranularity = \"mx\"", None),
        ("MXINT4 block 32", "width = 4\ngranularity = \"mx\"", None),
    ];
    let mut failures = Vec::new();
    for (label, section, bound) in cases {
        let w = quantized_weights(&graph, &weights, section);
        let (mut worst, mut worst_pooled) = (1.0f64, 1.0f64);
        for (s, r) in SENTENCES.iter().zip(&reference) {
            let h = run(&w, s);
            worst = worst.min(model::float::compare(&h, r).cosine);
            worst_pooled = worst_pooled.min(model::float::compare(&pooled(&h), &pooled(r)).cosine);
        }
        eprintln!(
            "{label:<18} worst cosine vs float: hidden states {worst:.6}, mean-pooled {worst_pooled:.6}"
        );
        if let Some(b) = bound.filter(|b| worst < *b) {
            failures.push(format!("{label}: {worst:.6} < {b}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
