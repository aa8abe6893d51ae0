//! Folding a softmax scale into the query projection: `softmax(s · (x·Wqᵀ + bq)·kᵀ)`
//! equals `softmax(((x·(s·Wq)ᵀ + s·bq)·kᵀ)`, so when the scale is a constant the
//! hardware can drop the multiply and use scaled query weights instead (free in
//! hardware; for head size `d` the scale `1/√d` is irrational whenever `d` is not a
//! power of 4).
//!
//! [`fold_softmax_scales`] returns a *hardware* graph and weights for mapping and
//! calibration; the original graph and weights stay the float reference, so accuracy
//! figures are measured against the exact scale. A scale is folded only when the chain
//! `softmax ← matmul ← (split_heads | reshape)* ← linear` has a single consumer at
//! every step and the linear's parameters are read by no other node; otherwise it is
//! left alone (the mapper then quantizes it to a fixed-point constant). It does not
//! fold into activations (a scale on a matmul of two activations has nowhere free to go).

use std::collections::BTreeMap;

use crate::graph::{Graph, Op};
use crate::tensor::Tensor;
use crate::weights::Weights;

/// One folded scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Folded {
    /// The softmax node whose scale became 1.
    pub softmax: String,
    /// The linear node whose weight and bias were multiplied by the scale.
    pub linear: String,
    /// The scale.
    pub scale: f64,
    /// Tensors whose hardware values are the float ones times `scale` (the linear, the
    /// reshapes after it, and the scores matmul).
    pub scaled: Vec<String>,
}

/// Folds every softmax scale for which `keep(scale)` is false into its query
/// projection where the graph allows it (see the module doc). Returns the hardware
/// graph and weights and what was folded; when nothing is folded, the graph is a
/// clone and the weights are `None` (use the originals).
pub fn fold_softmax_scales(
    graph: &Graph,
    weights: &Weights,
    keep: &dyn Fn(f64) -> bool,
) -> (Graph, Option<Weights>, Vec<Folded>) {
    let mut consumers: BTreeMap<&str, usize> = BTreeMap::new();
    let mut param_users: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &graph.nodes {
        for i in &n.inputs {
            *consumers.entry(i.as_str()).or_insert(0) += 1;
        }
        for p in n.op.params() {
            *param_users.entry(p).or_insert(0) += 1;
        }
    }
    let single = |name: &str| consumers.get(name).copied() == Some(1);
    let mut folds = Vec::new();
    for n in &graph.nodes {
        let Op::Softmax { scale } = n.op else {
            continue;
        };
        if keep(scale) {
            continue;
        }
        let Some(scores) = n.inputs.first().and_then(|i| graph.node(i)) else {
            continue;
        };
        if !matches!(scores.op, Op::Matmul { .. }) || !single(&scores.name) {
            continue;
        }
        let mut scaled = vec![scores.name.clone()];
        let mut cur = scores.inputs.first().and_then(|i| graph.node(i));
        while let Some(c) = cur {
            if !matches!(c.op, Op::SplitHeads { .. } | Op::Reshape) || !single(&c.name) {
                break;
            }
            scaled.push(c.name.clone());
            cur = c.inputs.first().and_then(|i| graph.node(i));
        }
        let Some(lin) = cur else { continue };
        let Op::Linear { weight, bias } = &lin.op else {
            continue;
        };
        let shared = lin
            .op
            .params()
            .iter()
            .any(|p| param_users.get(p).copied() != Some(1));
        if !single(&lin.name) || shared {
            continue;
        }
        scaled.push(lin.name.clone());
        folds.push((
            Folded {
                softmax: n.name.clone(),
                linear: lin.name.clone(),
                scale,
                scaled,
            },
            weight.clone(),
            bias.clone(),
        ));
    }
    if folds.is_empty() {
        return (graph.clone(), None, Vec::new());
    }
    let mut hw = graph.clone();
    let mut w = weights.clone();
    for (f, weight, bias) in &folds {
        for p in std::iter::once(weight).chain(bias.iter()) {
            if let Some(t) = weights.get(p) {
                let data = t
                    .data
                    .iter()
                    .map(|v| (f64::from(*v) * f.scale) as f32)
                    .collect();
                w.insert(
                    p,
                    Tensor {
                        shape: t.shape.clone(),
                        data,
                    },
                );
            }
        }
        if let Some(node) = hw.nodes.iter_mut().find(|n| n.name == f.softmax) {
            node.op = Op::Softmax { scale: 1.0 };
        }
    }
    (hw, Some(w), folds.into_iter().map(|(f, _, _)| f).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hf::{BertConfig, expand};

    #[test]
    fn folds_query_and_keeps_the_function() {
        let mut cfg = BertConfig::tiny();
        cfg.num_attention_heads = 2; // head size 32: scale 1/√32
        let g = expand(&cfg, 4, "t").unwrap();
        let w = Weights::synthetic(&g, 3);
        let (hw, hw_w, folds) = fold_softmax_scales(&g, &w, &|s| s == 0.25);
        assert_eq!(folds.len(), 2);
        assert_eq!(folds[0].linear, "encoder.layer.0.attention.self.query");
        let hw_w = hw_w.unwrap();
        let x = crate::float::synthetic_inputs(&g, 1);
        let a = crate::float::run(&g, &w, &x).unwrap();
        let b = crate::float::run(&hw, &hw_w, &x).unwrap();
        let acc = crate::float::compare(
            &b.get("output").unwrap().data,
            &a.get("output").unwrap().data,
        );
        assert!(acc.max_abs_error < 1e-5, "{acc:?}");
        // Nothing to fold when the scale is kept.
        let (_, none, f) = fold_softmax_scales(&g, &w, &|_| true);
        assert!(none.is_none() && f.is_empty());
    }
}
