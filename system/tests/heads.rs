//! BERT shapes beyond the examples' head sizes (16, 64): head sizes 32, 48 and 96,
//! whose softmax scale `1/√d` is not `k/2^f`. The scale is folded into the query
//! projection (`model::fold`), or, mapping the unfolded graph, quantized to a
//! fixed-point constant; either way the golden model stays close to the float model
//! with the exact scale. Also a ReLU FFN and a RoBERTa-typed config.

use generator::{Tensor, TensorMap};
use model::graph::{Graph, Op};
use model::hf::{BertConfig, expand};
use model::quant::QuantConfig;
use model::weights::Weights;
use system::SystemInstance;

/// Synthetic BERT weights with the query and key projections 15× larger, so attention
/// is peaked (with std 0.02 everywhere the scores are ~0.2 and any scale gives nearly
/// uniform probabilities, which would hide a wrong scale).
fn weights(g: &Graph, seed: u64) -> Weights {
    let mut w = Weights::synthetic(g, seed);
    let names: Vec<String> = w
        .iter()
        .map(|(n, _)| n.to_owned())
        .filter(|n| n.contains(".query.") || n.contains(".key."))
        .collect();
    for n in names {
        let mut t = w.get(&n).unwrap().clone();
        t.data.iter_mut().for_each(|v| *v *= 15.0);
        w.insert(&n, t);
    }
    w
}

fn config(hidden: usize, heads: usize) -> BertConfig {
    BertConfig {
        hidden_size: hidden,
        num_hidden_layers: 1,
        num_attention_heads: heads,
        intermediate_size: 2 * hidden,
        ..BertConfig::tiny()
    }
}

const PROBS: &str = "encoder.layer.0.attention.self.probs";

/// Golden (hardware graph `hw`, `hw_w`) vs float (`g`, `w`, exact scales) cosine on two
/// seeded sequences: of the model output and of the first layer's attention
/// probabilities (the output is dominated by the residual path with synthetic weights).
fn cosine(g: &Graph, w: &Weights, hw: &Graph, hw_w: &Weights) -> (f64, f64) {
    let cfg = QuantConfig::default();
    let plan = system::map::resolve(hw, &cfg, hw_w, 0, 4).unwrap();
    let sys = SystemInstance::new(system::map_model(hw, &plan, hw_w).unwrap());
    let (floats, x): (Vec<Vec<f64>>, Tensor) = system::inputs::synthetic(g, &sys, 77, 2).unwrap();
    let (trace, y) = sys
        .golden_run(&TensorMap::from([("data_in".to_string(), x)]))
        .unwrap();
    let real = |t: &Tensor| -> Vec<f64> { t.raw.iter().map(|r| t.format.to_f64(*r)).collect() };
    let probs = sys
        .model_trace(trace)
        .into_iter()
        .find(|(n, _)| n == PROBS)
        .map(|(_, t)| real(&t))
        .unwrap();
    let (mut out_ref, mut probs_ref) = (Vec::new(), Vec::new());
    for f in floats {
        let n = g.inputs().next().unwrap();
        let ins = [(
            n.name.clone(),
            model::tensor::Tensor {
                shape: n.shape.clone(),
                data: f,
            },
        )]
        .into();
        let acts = model::float::run(g, w, &ins).unwrap();
        out_ref.extend_from_slice(&acts.get("output").unwrap().data);
        probs_ref.extend_from_slice(&acts.get(PROBS).unwrap().data);
    }
    (
        model::float::compare(&real(&y), &out_ref).cosine,
        model::float::compare(&probs, &probs_ref).cosine,
    )
}

#[test]
fn head_sizes_32_48_96_fold_the_scale_and_match_float() {
    for (hidden, heads) in [(96, 3), (96, 2), (96, 1)] {
        let d = hidden / heads;
        let g = expand(&config(hidden, heads), 8, "b").unwrap();
        let w = weights(&g, 5);
        assert!(
            !system::map::exact_scale(1.0 / (d as f64).sqrt()),
            "d = {d}"
        );
        let (hw, hw_w, folds) = model::fold::fold_softmax_scales(&g, &w, &system::map::exact_scale);
        assert_eq!(folds.len(), 1, "d = {d}");
        let hw_w = hw_w.unwrap();
        let sm = hw.node("encoder.layer.0.attention.self.probs").unwrap();
        assert_eq!(sm.op, Op::Softmax { scale: 1.0 });
        let (c, p) = cosine(&g, &w, &hw, &hw_w);
        println!("head size {d}: folded scale, cosine {c:.8}, probabilities {p:.8}");
        assert!(c >= 0.9995 && p >= 0.9995, "head size {d}: cosine {c}, {p}");
        // Unfolded: the mapper quantizes the scale to a fixed-point constant.
        let (c, p) = cosine(&g, &w, &g, &w);
        println!("head size {d}: quantized scale, cosine {c:.8}, probabilities {p:.8}");
        assert!(c >= 0.9995 && p >= 0.9995, "head size {d}: cosine {c}, {p}");
        // The test can fail: dropping the scale (softmax scale 1, queries unscaled)
        // is far from float.
        let mut wrong = g.clone();
        for n in &mut wrong.nodes {
            if matches!(n.op, Op::Softmax { .. }) {
                n.op = Op::Softmax { scale: 1.0 };
            }
        }
        let (_, p) = cosine(&g, &w, &wrong, &w);
        println!("head size {d}: scale dropped, probabilities {p:.8}");
        assert!(
            p < 0.99,
            "head size {d}: a dropped scale went unnoticed ({p})"
        );
    }
}

#[test]
fn relu_ffn_and_roberta_config_map() {
    let mut cfg = config(64, 2);
    cfg.hidden_act = "relu".into();
    cfg.model_type = "roberta".into();
    let g = expand(&cfg, 8, "r").unwrap();
    let w = Weights::synthetic(&g, 6);
    let (hw, hw_w, _) = model::fold::fold_softmax_scales(&g, &w, &system::map::exact_scale);
    let hw_w = hw_w.unwrap();
    let (c, p) = cosine(&g, &w, &hw, &hw_w);
    println!("relu FFN, head size 32: cosine {c:.8}, probabilities {p:.8}");
    assert!(c >= 0.9995 && p >= 0.9995, "cosine {c}, {p}");
}

/// The builder marks the instances it inserts (forks, reconvergent FIFOs, casts, lane
/// converters); the model trace keeps exactly one entry per model node, and a design
/// directory written and loaded back keeps every mark.
#[test]
fn the_model_trace_holds_each_model_node_once_and_loading_keeps_the_marks() {
    let g = expand(&config(64, 2), 8, "m").unwrap();
    let w = weights(&g, 3);
    let cfg = QuantConfig::from_toml("[default]\nparallelism = 4\n").unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 4).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let inserted = sys.net.nodes.iter().filter(|n| n.inserted).count();
    assert!(
        inserted >= 4,
        "forks and FIFOs of two residuals: {inserted}"
    );
    let (_, x): (Vec<Vec<f64>>, Tensor) = system::inputs::synthetic(&g, &sys, 5, 1).unwrap();
    let (trace, _) = sys
        .golden_run(&TensorMap::from([("data_in".to_string(), x)]))
        .unwrap();
    let traced: Vec<String> = sys.model_trace(trace).into_iter().map(|(n, _)| n).collect();
    let model: Vec<String> = g
        .nodes
        .iter()
        .filter(|n| !matches!(n.op, Op::Input | Op::Output))
        .map(|n| n.name.clone())
        .collect();
    let mut sorted = traced.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        traced.len(),
        "one entry per model node: {traced:?}"
    );
    let mut want = model.clone();
    want.sort();
    assert_eq!(sorted, want);
    let dir = std::env::temp_dir().join(format!("mh-heads-marks-{}", std::process::id()));
    let files = system::emit::render(&sys, "mh_m").unwrap();
    generator::emit::write_dir(&files, &dir).unwrap();
    let back = system::load::load(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let (back, _) = back.unwrap();
    let marks = |s: &SystemInstance| -> Vec<(String, bool)> {
        s.net
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.inserted))
            .collect()
    };
    assert_eq!(marks(&back), marks(&sys));
}
