//! Real inputs for `gen` and `sim system`: encoder inputs from a tensor file
//! (`--calibration-inputs`, the `values` form of `sim system --inputs`) or from
//! sentences through a Hugging Face checkpoint's tokenizer and embedding
//! (`--calibration-text`, `--eval-text`, `--text`), and what is measured on them
//! beyond the cosine: the fraction of clipped elements per node.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use generator::{Instance, Tensor};
use model::graph::Graph;
use model::hf::BertConfig;
use serde_json::Value;
use system::SystemInstance;

use crate::user;

/// Fraction of clipped elements above which `gen` and `sim system` warn.
pub const CLIP_WARN: f64 = 1e-3;

/// Model inputs given as real numbers, one flat `Vec` per item, with the number of
/// real tokens of each item when they came from text (for mean pooling).
pub struct Items {
    pub floats: Vec<Vec<f64>>,
    pub tokens: Option<Vec<usize>>,
}

/// A Hugging Face checkpoint directory (config.json, model.safetensors,
/// tokenizer.json).
pub struct Checkpoint {
    pub dir: PathBuf,
    pub cfg: BertConfig,
}

impl Checkpoint {
    /// The checkpoint of a weights path (the directory or a file inside it), if it
    /// holds a `config.json`.
    pub fn beside(weights: &Path) -> Option<Checkpoint> {
        let dir = if weights.is_dir() {
            weights.to_path_buf()
        } else {
            weights.parent()?.to_path_buf()
        };
        let cfg = BertConfig::load(&dir.join("config.json")).ok()?;
        Some(Checkpoint { dir, cfg })
    }

    /// Sentences → encoder inputs `[seq_len, H]` (model::text: padding, truncation).
    pub fn embed(&self, sentences: &[&str], seq_len: usize) -> Result<Items> {
        let e = model::text::Embedder::load(&self.dir, &self.cfg).map_err(user)?;
        let (mut floats, mut tokens) = (Vec::new(), Vec::new());
        for s in sentences {
            let (enc, x) = e.inputs(s, seq_len).map_err(user)?;
            tokens.push(enc.tokens);
            floats.push(x);
        }
        Ok(Items {
            floats,
            tokens: Some(tokens),
        })
    }

    /// Prefixes of the checkpoint's layers that `graph` (cut with `--layers`) leaves out.
    pub fn skipped_layers(&self, graph: &Graph) -> Vec<String> {
        skipped_layers(graph, self.cfg.num_hidden_layers)
    }
}

/// `encoder.layer.{k}.` for the layers `k < total` that `graph` has no parameter of.
pub fn skipped_layers(graph: &Graph, total: usize) -> Vec<String> {
    (0..total)
        .map(|k| format!("encoder.layer.{k}."))
        .filter(|p| !graph.params.iter().any(|q| q.name.starts_with(p.as_str())))
        .collect()
}

/// The non-blank lines of a sentence file.
pub fn read_sentences(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| user(format!("{}: {e}", path.display())))?;
    let s: Vec<String> = model::text::sentences(&text)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if s.is_empty() {
        return Err(user(format!("{}: holds no sentence", path.display())));
    }
    Ok(s)
}

/// `{"data_in": {"shape": [items.., ..input shape], "values": [..]}}` → the values per
/// item. Raw codes are refused: before the design exists they have no format.
pub fn read_values(path: &Path, item: &[usize]) -> Result<Items> {
    let err = |m: String| user(format!("{}: {m}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| err(format!("invalid JSON: {e}")))?;
    let t = v
        .get("data_in")
        .and_then(Value::as_object)
        .ok_or_else(|| err("needs an object `data_in` with `shape` and `values`".into()))?;
    let shape: Vec<usize> = t
        .get("shape")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|x| x.as_u64().map(|x| x as usize)).collect())
        .ok_or_else(|| err("data_in.shape: must be an array of sizes".into()))?;
    let items = if shape == item {
        1
    } else if shape.len() == item.len() + 1 && shape[1..] == *item && shape[0] >= 1 {
        shape[0]
    } else {
        return Err(err(format!(
            "data_in.shape {shape:?} must be {item:?} or [items, ..{item:?}]"
        )));
    };
    if t.contains_key("raw") {
        return Err(err(
            "data_in: calibration inputs need `values` (real numbers); raw codes have no format before the design exists".into(),
        ));
    }
    let vals: Vec<f64> = t
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| err("data_in.values: must be an array of numbers".into()))?
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                err(format!(
                    "data_in.values: element {i} is not a finite number"
                ))
            })
        })
        .collect::<Result<_>>()?;
    let per: usize = item.iter().product();
    if vals.len() != items * per {
        return Err(err(format!(
            "data_in.values: {} elements, the shape needs {}",
            vals.len(),
            items * per
        )));
    }
    Ok(Items {
        floats: vals.chunks(per).map(<[f64]>::to_vec).collect(),
        tokens: None,
    })
}

/// Float items as the float reference's input maps.
pub fn as_inputs(
    graph: &Graph,
    floats: &[Vec<f64>],
) -> Vec<BTreeMap<String, model::tensor::Tensor<f64>>> {
    let input = graph.inputs().next();
    floats
        .iter()
        .filter_map(|f| {
            let n = input?;
            Some(
                [(
                    n.name.clone(),
                    model::tensor::Tensor {
                        shape: n.shape.clone(),
                        data: f.clone(),
                    },
                )]
                .into(),
            )
        })
        .collect()
}

/// Float items quantized to the system's input format (RND, SAT): `[items, ..shape]`.
pub fn quantize(sys: &SystemInstance, floats: &[Vec<f64>]) -> Result<Tensor> {
    let fmt = sys.tensors()[0].format;
    let mut raw = Vec::new();
    for f in floats {
        for &v in f {
            raw.push(
                fmt.from_f64(v, golden::Rounding::Rnd, golden::Overflow::Sat)
                    .map_err(user)?,
            );
        }
    }
    let mut shape = vec![floats.len()];
    shape.extend(&sys.net.input_shape);
    Ok(Tensor::new(shape, raw, fmt))
}

/// Fraction of the elements of a node's golden output that were clipped: the float
/// value of the same node (hardware graph) lies beyond the format's range by more than
/// half an LSB, so the cast saturated it (or, with `WRAP`, wrapped it).
pub fn clipped_fraction(t: &Tensor, reference: &[f64]) -> f64 {
    let f = t.format;
    let half = (f.to_f64(1) - f.to_f64(0)) / 2.0;
    let (hi, lo) = (f.to_f64(f.max_raw()) + half, f.to_f64(f.min_raw()) - half);
    let n = t.raw.len().min(reference.len());
    if n == 0 {
        return 0.0;
    }
    let clipped = reference[..n]
        .iter()
        .filter(|r| **r > hi || **r < lo)
        .count();
    clipped as f64 / n as f64
}

/// Prints the clipping summary and warns when a node exceeds [`CLIP_WARN`].
pub fn print_clipping(clip: &[(String, f64)]) {
    let mut worst: Vec<&(String, f64)> = clip.iter().filter(|(_, f)| *f > 0.0).collect();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if worst.is_empty() {
        println!("clipping: no node saturated or wrapped");
        return;
    }
    let list = |v: &[&(String, f64)]| -> String {
        v.iter()
            .take(5)
            .map(|(n, f)| format!("{n} {:.4}%", f * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "clipping: {} of {} nodes clipped some elements; most: {}",
        worst.len(),
        clip.len(),
        list(&worst)
    );
    let over: Vec<&(String, f64)> = worst.into_iter().filter(|(_, f)| *f > CLIP_WARN).collect();
    if !over.is_empty() {
        println!(
            "warning: {} nodes clipped more than {}% of their elements: {} (calibrate on real inputs, or widen their formats)",
            over.len(),
            CLIP_WARN * 100.0,
            list(&over)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_values_beyond_half_an_lsb_outside_the_range() {
        // s8.4: codes -128..=127, values -8.0..=7.9375, LSB 1/16.
        let f = golden::Format::signed(8, 4).unwrap();
        let t = Tensor::new(vec![4], vec![127, -128, 0, 127], f);
        assert_eq!(clipped_fraction(&t, &[7.96, -8.03, 0.0, 9.0]), 0.25);
        assert_eq!(clipped_fraction(&t, &[8.0, -8.0, 0.0, 7.9]), 0.25);
        let u = golden::Format::unsigned(8, 8).unwrap();
        let p = Tensor::new(vec![2], vec![0, 255], u);
        assert_eq!(clipped_fraction(&p, &[0.0, 1.0]), 0.5);
    }
}
