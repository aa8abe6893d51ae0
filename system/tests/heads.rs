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

fn config(hidden: usize, heads: usize) -> BertConfig {
    BertConfig {
        hidden_size: hidden,
        num_hidden_layers: 1,
        num_attention_heads: heads,
        intermediate_size: 2 * hidden,
        ..BertConfig::tiny()
    }
}

/// Golden (hardware graph `hw`, `hw_w`) vs float (`g`, `w`, exact scales) cosine on two
/// seeded sequences.
fn cosine(g: &Graph, w: &Weights, hw: &Graph, hw_w: &Weights) -> f64 {
    let cfg = QuantConfig::default();
    let plan = system::map::resolve(hw, &cfg, hw_w, 0, 4).unwrap();
    let sys = SystemInstance::new(system::map_model(hw, &plan, hw_w).unwrap());
    let (floats, x): (Vec<Vec<f64>>, Tensor) = system::inputs::synthetic(g, &sys, 77, 2).unwrap();
    let (_, y) = sys
        .golden_run(&TensorMap::from([("data_in".to_string(), x)]))
        .unwrap();
    let got: Vec<f64> = y.raw.iter().map(|r| y.format.to_f64(*r)).collect();
    let mut reference = Vec::new();
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
        reference.extend_from_slice(&acts.get("output").unwrap().data);
    }
    model::float::compare(&got, &reference).cosine
}

#[test]
fn head_sizes_32_48_96_fold_the_scale_and_match_float() {
    for (hidden, heads) in [(96, 3), (96, 2), (96, 1)] {
        let d = hidden / heads;
        let g = expand(&config(hidden, heads), 8, "b").unwrap();
        let w = Weights::synthetic(&g, 5);
        assert!(!system::map::exact_scale(1.0 / (d as f64).sqrt()), "d = {d}");
        let (hw, hw_w, folds) = model::fold::fold_softmax_scales(&g, &w, &system::map::exact_scale);
        assert_eq!(folds.len(), 1, "d = {d}");
        let hw_w = hw_w.unwrap();
        let sm = hw.node("encoder.layer.0.attention.self.probs").unwrap();
        assert_eq!(sm.op, Op::Softmax { scale: 1.0 });
        let c = cosine(&g, &w, &hw, &hw_w);
        println!("head size {d}: folded scale, cosine {c:.8}");
        assert!(c >= 0.9995, "head size {d}: cosine {c}");
        // Unfolded: the mapper quantizes the scale to a fixed-point constant.
        let c = cosine(&g, &w, &g, &w);
        println!("head size {d}: quantized scale, cosine {c:.8}");
        assert!(c >= 0.9995, "head size {d}: cosine {c}");
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
    let c = cosine(&g, &w, &hw, &hw_w);
    println!("relu FFN, head size 32: cosine {c:.8}");
    assert!(c >= 0.9995, "cosine {c}");
}
