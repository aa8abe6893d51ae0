//! Parameter values for a [`Graph`]: read from a Hugging Face `model.safetensors`, or
//! seeded synthetic values of realistic scale.
//!
//! Reading uses the `safetensors` crate and accepts `F32`, `F16` and `BF16` tensors
//! (stored as `f32`). File names are matched to graph parameters after dropping a
//! leading `bert.` and renaming the pre-2019 `LayerNorm.gamma`/`LayerNorm.beta` to
//! `LayerNorm.weight`/`LayerNorm.bias`. A parameter absent from the file, a file tensor
//! with the wrong shape, an unsupported dtype or a non-finite value is an error naming
//! the tensor. File tensors the graph does not use are errors too, except those under
//! `embeddings.`, `pooler.` and `cls.`: the parts of a BERT checkpoint that lie outside
//! the encoder graph (the embedding runs on the host); they are skipped and listed in
//! [`Weights::ignored`].
//!
//! Synthetic weights follow BERT's initialisation by default: linear weights and biases
//! `N(0, 0.02²)`, LayerNorm `γ = 1 + N(0, 0.02²)`, `β = N(0, 0.02²)` (small perturbations,
//! so the values are not trivially 0 and 1). Each tensor draws from its own stream,
//! seeded by the seed and the tensor's name, so values do not depend on tensor order or
//! on the number of threads filling them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use safetensors::{Dtype, SafeTensors};
use thiserror::Error;

use crate::graph::{Graph, Op};
use crate::rng::Rng;
use crate::tensor::Tensor;

/// Model-class prefixes dropped from file tensor names (`BertModel` vs `BertFor…`
/// checkpoints, RoBERTa).
pub const MODEL_PREFIXES: [&str; 3] = ["bert.", "roberta.", "distilbert."];

/// DistilBERT's module names and the BERT names of the same graph positions (after
/// `transformer.layer.{i}.` becomes `encoder.layer.{i}.`).
const DISTILBERT_NAMES: [(&str, &str); 8] = [
    ("attention.q_lin.", "attention.self.query."),
    ("attention.k_lin.", "attention.self.key."),
    ("attention.v_lin.", "attention.self.value."),
    ("attention.out_lin.", "attention.output.dense."),
    ("sa_layer_norm.", "attention.output.LayerNorm."),
    ("ffn.lin1.", "intermediate.dense."),
    ("ffn.lin2.", "output.dense."),
    ("output_layer_norm.", "output.LayerNorm."),
];

/// Prefixes of checkpoint tensors outside the encoder graph, skipped when reading.
pub const IGNORED_PREFIXES: [&str; 6] = [
    "embeddings.",
    "pooler.",
    "cls.",
    "vocab_transform.",
    "vocab_layer_norm.",
    "vocab_projector.",
];

/// Why weights could not be read or written.
#[derive(Debug, Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("weights file `{path}`: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a valid safetensors file.
    #[error("weights: not a valid safetensors file: {0}")]
    Format(String),
    /// A graph parameter has no tensor in the file.
    #[error("weights: parameter `{name}` (shape {shape:?}) is missing from the file")]
    Missing {
        /// The parameter.
        name: String,
        /// Its shape in the graph.
        shape: Vec<usize>,
    },
    /// A file tensor is not a parameter of the graph.
    #[error(
        "weights: tensor `{name}` (shape {shape:?}) in the file is not a parameter of the model"
    )]
    Extra {
        /// The tensor's name in the file.
        name: String,
        /// Its shape in the file.
        shape: Vec<usize>,
    },
    /// Two file tensors map to the same parameter (e.g. `x` and `bert.x`).
    #[error("weights: tensors `{first}` and `{second}` in the file both give parameter `{name}`")]
    Duplicate {
        /// The parameter.
        name: String,
        /// One file name.
        first: String,
        /// The other file name.
        second: String,
    },
    /// A tensor's shape differs from the parameter's.
    #[error("weights: tensor `{name}` has shape {actual:?}, the model expects {expected:?}")]
    Shape {
        /// The tensor.
        name: String,
        /// Shape of the graph parameter.
        expected: Vec<usize>,
        /// Shape in the file.
        actual: Vec<usize>,
    },
    /// A tensor's dtype is not a float type this crate reads.
    #[error("weights: tensor `{name}` has dtype {dtype}, expected F32, F16 or BF16")]
    Dtype {
        /// The tensor.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// A tensor holds NaN or infinity.
    #[error("weights: tensor `{name}` has a non-finite value at element {index}")]
    NonFinite {
        /// The tensor.
        name: String,
        /// Flat index of the first bad element.
        index: usize,
    },
}

/// How synthetic weights are drawn. All standard deviations are absolute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticInit {
    /// Linear weights: `N(0, σ²)`, `σ` fixed or from the fan-in.
    pub weight: WeightStd,
    /// Linear biases: `N(0, σ²)`.
    pub bias_std: f64,
    /// LayerNorm `γ = 1 + N(0, σ²)`.
    pub gamma_std: f64,
    /// LayerNorm `β = N(0, σ²)`.
    pub beta_std: f64,
}

/// The standard deviation of synthetic linear weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightStd {
    /// A fixed `σ` (BERT: 0.02).
    Fixed(f64),
    /// `σ = gain / √fan_in` (He/Kaiming with gain √2 for ReLU networks).
    FanIn(f64),
}

impl SyntheticInit {
    /// BERT's initialisation (`σ = 0.02`), with small non-zero biases, `γ` and `β`.
    pub fn bert() -> SyntheticInit {
        SyntheticInit {
            weight: WeightStd::Fixed(0.02),
            bias_std: 0.02,
            gamma_std: 0.02,
            beta_std: 0.02,
        }
    }

    /// He initialisation (`σ = √2/√fan_in`) for small ReLU networks such as `jsc-mlp`,
    /// where `σ = 0.02` would make activations vanish.
    pub fn he() -> SyntheticInit {
        SyntheticInit {
            weight: WeightStd::FanIn(std::f64::consts::SQRT_2),
            bias_std: 0.02,
            gamma_std: 0.02,
            beta_std: 0.02,
        }
    }
}

impl Default for SyntheticInit {
    fn default() -> Self {
        Self::bert()
    }
}

/// How [`Weights::to_safetensors`] stores elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileDtype {
    /// IEEE single precision.
    F32,
    /// IEEE half precision.
    F16,
}

/// The values of every parameter of a graph, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Weights {
    tensors: BTreeMap<String, Tensor<f32>>,
    ignored: Vec<String>,
}

/// The graph parameter a file tensor name refers to.
fn canonical(name: &str) -> String {
    let n = MODEL_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    let distil;
    let n = match n.strip_prefix("transformer.layer.") {
        Some(rest) => {
            let (i, module) = rest.split_once('.').unwrap_or((rest, ""));
            let module = DISTILBERT_NAMES
                .iter()
                .find_map(|(d, b)| module.strip_prefix(d).map(|t| format!("{b}{t}")))
                .unwrap_or_else(|| module.to_owned());
            distil = format!("encoder.layer.{i}.{module}");
            distil.as_str()
        }
        None => n,
    };
    if let Some(stem) = n.strip_suffix("LayerNorm.gamma") {
        format!("{stem}LayerNorm.weight")
    } else if let Some(stem) = n.strip_suffix("LayerNorm.beta") {
        format!("{stem}LayerNorm.bias")
    } else {
        n.to_owned()
    }
}

fn decode(name: &str, dtype: Dtype, bytes: &[u8]) -> Result<Vec<f32>, WeightsError> {
    let data: Vec<f32> = match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        other => {
            return Err(WeightsError::Dtype {
                name: name.to_owned(),
                dtype: format!("{other:?}"),
            });
        }
    };
    if let Some(index) = data.iter().position(|v| !v.is_finite()) {
        return Err(WeightsError::NonFinite {
            name: name.to_owned(),
            index,
        });
    }
    Ok(data)
}

impl Weights {
    /// Reads the parameters of `graph` from the bytes of a safetensors file.
    ///
    /// # Errors
    /// See [`WeightsError`]: every graph parameter must be present exactly once with
    /// its shape, and every file tensor must be a parameter or ignorable.
    pub fn from_safetensors(bytes: &[u8], graph: &Graph) -> Result<Weights, WeightsError> {
        Self::from_safetensors_skipping(bytes, graph, &[])
    }

    /// As [`Weights::from_safetensors`], also skipping file tensors whose canonical
    /// name starts with one of `skip` (e.g. `encoder.layer.6.` for a model cut to its
    /// first six layers); they are listed in [`Weights::ignored`].
    ///
    /// # Errors
    /// As [`Weights::from_safetensors`].
    pub fn from_safetensors_skipping(
        bytes: &[u8],
        graph: &Graph,
        skip: &[String],
    ) -> Result<Weights, WeightsError> {
        let st =
            SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
        let mut file_names: Vec<&str> = st.names();
        file_names.sort_unstable();
        let mut by_param: BTreeMap<String, &str> = BTreeMap::new();
        let mut ignored = Vec::new();
        for file_name in file_names {
            let name = canonical(file_name);
            if graph.param(&name).is_none() {
                let view = st
                    .tensor(file_name)
                    .map_err(|e| WeightsError::Format(e.to_string()))?;
                if IGNORED_PREFIXES.iter().any(|p| name.starts_with(p))
                    || skip.iter().any(|p| name.starts_with(p.as_str()))
                {
                    ignored.push(file_name.to_owned());
                    continue;
                }
                return Err(WeightsError::Extra {
                    name: file_name.to_owned(),
                    shape: view.shape().to_vec(),
                });
            }
            if let Some(first) = by_param.insert(name.clone(), file_name) {
                return Err(WeightsError::Duplicate {
                    name,
                    first: first.to_owned(),
                    second: file_name.to_owned(),
                });
            }
        }
        let mut tensors = BTreeMap::new();
        for p in &graph.params {
            let file_name = by_param.get(&p.name).ok_or_else(|| WeightsError::Missing {
                name: p.name.clone(),
                shape: p.shape.clone(),
            })?;
            let view = st
                .tensor(file_name)
                .map_err(|e| WeightsError::Format(e.to_string()))?;
            if view.shape() != p.shape.as_slice() {
                return Err(WeightsError::Shape {
                    name: (*file_name).to_owned(),
                    expected: p.shape.clone(),
                    actual: view.shape().to_vec(),
                });
            }
            let data = decode(file_name, view.dtype(), view.data())?;
            tensors.insert(
                p.name.clone(),
                Tensor {
                    shape: p.shape.clone(),
                    data,
                },
            );
        }
        Ok(Weights { tensors, ignored })
    }

    /// Reads `path` (a `model.safetensors`, or a directory holding one).
    ///
    /// # Errors
    /// [`WeightsError::Io`], or as [`Weights::from_safetensors`].
    pub fn load(path: &Path, graph: &Graph) -> Result<Weights, WeightsError> {
        Self::load_skipping(path, graph, &[])
    }

    /// As [`Weights::load`], skipping file tensors under `skip`
    /// ([`Weights::from_safetensors_skipping`]).
    ///
    /// # Errors
    /// As [`Weights::load`].
    pub fn load_skipping(
        path: &Path,
        graph: &Graph,
        skip: &[String],
    ) -> Result<Weights, WeightsError> {
        let bytes = read_file(path)?;
        Self::from_safetensors_skipping(&bytes, graph, skip)
    }
}

/// The bytes of `path` (a `model.safetensors`, or a directory holding one).
fn read_file(path: &Path) -> Result<Vec<u8>, WeightsError> {
    let path = if path.is_dir() {
        path.join("model.safetensors")
    } else {
        path.to_path_buf()
    };
    std::fs::read(&path).map_err(|source| WeightsError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads the tensors `names` (canonical names, e.g. `embeddings.word_embeddings.weight`)
/// from the safetensors file at `path`, whatever else it holds: the host-side parts of
/// a checkpoint (the embedding) that no graph describes.
///
/// # Errors
/// [`WeightsError::Io`], [`WeightsError::Format`], [`WeightsError::Missing`] (with an
/// empty shape) for an absent name, dtype and finiteness errors as for the graph.
pub fn read_named(
    path: &Path,
    names: &[&str],
) -> Result<BTreeMap<String, Tensor<f32>>, WeightsError> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut out = BTreeMap::new();
    for file_name in st.names() {
        let name = canonical(file_name);
        if names.contains(&name.as_str()) {
            let view = st
                .tensor(file_name)
                .map_err(|e| WeightsError::Format(e.to_string()))?;
            let data = decode(file_name, view.dtype(), view.data())?;
            out.insert(
                name,
                Tensor {
                    shape: view.shape().to_vec(),
                    data,
                },
            );
        }
    }
    if let Some(missing) = names.iter().find(|n| !out.contains_key(**n)) {
        return Err(WeightsError::Missing {
            name: (*missing).to_owned(),
            shape: Vec::new(),
        });
    }
    Ok(out)
}

impl Weights {
    /// Seeded synthetic weights with BERT's initialisation ([`SyntheticInit::bert`]).
    pub fn synthetic(graph: &Graph, seed: u64) -> Weights {
        Self::synthetic_with(graph, seed, &SyntheticInit::bert())
    }

    /// Seeded synthetic weights drawn as `init` says, filled on all available cores
    /// (the values do not depend on the number of threads).
    pub fn synthetic_with(graph: &Graph, seed: u64, init: &SyntheticInit) -> Weights {
        // (param name, shape, mean, std) for every parameter some node reads.
        let mut jobs: Vec<(&str, &[usize], f64, f64)> = Vec::new();
        for node in &graph.nodes {
            match &node.op {
                Op::Linear { weight, bias } => {
                    if let Some(p) = graph.param(weight) {
                        let fan_in = p.shape.last().copied().unwrap_or(1).max(1);
                        let std = match init.weight {
                            WeightStd::Fixed(s) => s,
                            WeightStd::FanIn(gain) => gain / (fan_in as f64).sqrt(),
                        };
                        jobs.push((weight, &p.shape, 0.0, std));
                    }
                    if let Some(p) = bias.as_deref().and_then(|b| graph.param(b)) {
                        jobs.push((&p.name, &p.shape, 0.0, init.bias_std));
                    }
                }
                Op::Layernorm { gamma, beta, .. } => {
                    if let Some(p) = graph.param(gamma) {
                        jobs.push((&p.name, &p.shape, 1.0, init.gamma_std));
                    }
                    if let Some(p) = graph.param(beta) {
                        jobs.push((&p.name, &p.shape, 0.0, init.beta_std));
                    }
                }
                _ => {}
            }
        }
        // Largest first, so the threads finish together.
        jobs.sort_by(|a, b| {
            b.1.iter()
                .product::<usize>()
                .cmp(&a.1.iter().product())
                .then(a.0.cmp(b.0))
        });
        jobs.dedup_by(|a, b| a.0 == b.0);
        let fill = |(name, shape, mean, std): (&str, &[usize], f64, f64)| {
            let mut rng = Rng::for_name(seed, name);
            let n: usize = shape.iter().product();
            let data = (0..n).map(|_| (mean + std * rng.normal()) as f32).collect();
            (
                name.to_owned(),
                Tensor {
                    shape: shape.to_vec(),
                    data,
                },
            )
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(jobs.len().max(1));
        let next = AtomicUsize::new(0);
        let mut tensors = BTreeMap::new();
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(job) = jobs.get(i) else { break };
                            out.push(fill(*job));
                        }
                        out
                    })
                })
                .collect();
            for w in workers {
                // A worker only panics if allocation fails; propagate that panic.
                match w.join() {
                    Ok(out) => tensors.extend(out),
                    Err(e) => std::panic::resume_unwind(e),
                }
            }
        });
        Weights {
            tensors,
            ignored: Vec::new(),
        }
    }

    /// The tensor of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor<f32>> {
        self.tensors.get(name)
    }

    /// Every parameter and its tensor, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor<f32>)> {
        self.tensors.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of parameter tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether there are no tensors.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Total number of parameter elements.
    pub fn num_elements(&self) -> usize {
        self.tensors.values().map(Tensor::len).sum()
    }

    /// File tensors skipped when reading (under [`IGNORED_PREFIXES`]).
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Inserts or replaces a parameter tensor (for tests and tools).
    pub fn insert(&mut self, name: &str, tensor: Tensor<f32>) {
        self.tensors.insert(name.to_owned(), tensor);
    }

    /// Serialises every tensor as a safetensors file, elements stored as `dtype`.
    ///
    /// # Errors
    /// [`WeightsError::Format`] if the safetensors crate refuses the data.
    pub fn to_safetensors(&self, dtype: FileDtype) -> Result<Vec<u8>, WeightsError> {
        let bytes: Vec<(&str, Vec<u8>, &[usize])> = self
            .tensors
            .iter()
            .map(|(name, t)| {
                let b = match dtype {
                    FileDtype::F32 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    FileDtype::F16 => t
                        .data
                        .iter()
                        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                        .collect(),
                };
                (name.as_str(), b, t.shape.as_slice())
            })
            .collect();
        let st_dtype = match dtype {
            FileDtype::F32 => Dtype::F32,
            FileDtype::F16 => Dtype::F16,
        };
        let views = bytes
            .iter()
            .map(|(name, b, shape)| {
                safetensors::tensor::TensorView::new(st_dtype, shape.to_vec(), b)
                    .map(|v| (*name, v))
                    .map_err(|e| WeightsError::Format(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, None).map_err(|e| WeightsError::Format(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hf::{BertConfig, expand};

    fn tiny() -> Graph {
        expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap()
    }

    #[test]
    fn synthetic_is_deterministic_and_realistic() {
        let g = tiny();
        let a = Weights::synthetic(&g, 1);
        assert_eq!(a, Weights::synthetic(&g, 1));
        assert_ne!(a, Weights::synthetic(&g, 2));
        assert_eq!(a.len(), g.params.len());
        let w = a.get("encoder.layer.0.intermediate.dense.weight").unwrap();
        let n = w.len() as f64;
        let std = (w.data.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / n).sqrt();
        assert!((std - 0.02).abs() < 0.002, "{std}");
        let gamma = a.get("encoder.layer.1.output.LayerNorm.weight").unwrap();
        assert!(gamma.data.iter().all(|v| (v - 1.0).abs() < 0.2));
    }

    #[test]
    fn distilbert_names_map_onto_the_bert_graph() {
        let g = tiny();
        let w = Weights::synthetic(&g, 4);
        let mut named = Weights::default();
        for (name, t) in w.iter() {
            let mut n = format!(
                "distilbert.{}",
                name.replace("encoder.layer.", "transformer.layer.")
            );
            for (d, b) in DISTILBERT_NAMES {
                n = n.replace(b, d);
            }
            named.insert(&n, t.clone());
        }
        named.insert("vocab_projector.bias", Tensor::zeros(&[10]));
        assert!(
            named
                .get("distilbert.transformer.layer.1.ffn.lin1.weight")
                .is_some()
        );
        let bytes = named.to_safetensors(FileDtype::F32).unwrap();
        let back = Weights::from_safetensors(&bytes, &g).unwrap();
        assert_eq!(back.tensors, w.tensors);
        assert_eq!(back.ignored(), ["vocab_projector.bias"]);
    }

    #[test]
    fn safetensors_round_trip_f32_and_f16_with_prefix() {
        let g = tiny();
        let w = Weights::synthetic(&g, 3);
        let bytes = w.to_safetensors(FileDtype::F32).unwrap();
        assert_eq!(Weights::from_safetensors(&bytes, &g).unwrap(), w);

        let bytes = w.to_safetensors(FileDtype::F16).unwrap();
        let h = Weights::from_safetensors(&bytes, &g).unwrap();
        for (name, t) in w.iter() {
            let r = h.get(name).unwrap();
            for (a, b) in t.data.iter().zip(&r.data) {
                assert!((a - b).abs() <= a.abs() * 1e-3 + 1e-7, "{name}: {a} vs {b}");
            }
        }

        // HF BertModel files: `bert.` prefix, embeddings and pooler alongside.
        let mut named = Weights::default();
        for (name, t) in w.iter() {
            named.insert(&format!("bert.{name}"), t.clone());
        }
        named.insert(
            "bert.embeddings.word_embeddings.weight",
            Tensor::zeros(&[10, 64]),
        );
        named.insert("bert.pooler.dense.bias", Tensor::zeros(&[64]));
        let bytes = named.to_safetensors(FileDtype::F32).unwrap();
        let r = Weights::from_safetensors(&bytes, &g).unwrap();
        assert_eq!(r.tensors, w.tensors);
        assert_eq!(
            r.ignored(),
            [
                "bert.embeddings.word_embeddings.weight",
                "bert.pooler.dense.bias"
            ]
        );
    }

    #[test]
    fn bf16_and_integer_buffers_outside_the_graph() {
        use safetensors::tensor::TensorView;
        let g = crate::json::from_json(
            r#"{"version": 1, "name": "one", "params": [{"name": "fc.weight", "shape": [1, 2]}],
                "nodes": [{"name": "x", "op": "input", "shape": [1, 2]},
                          {"name": "fc", "op": "linear", "weight": "fc.weight", "inputs": ["x"], "shape": [1, 1]},
                          {"name": "y", "op": "output", "inputs": ["fc"], "shape": [1, 1]}]}"#,
        )
        .unwrap();
        let w: Vec<u8> = [1.5f32, -0.25]
            .iter()
            .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
            .collect();
        let ids: Vec<u8> = [0i64, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
        let views = vec![
            (
                "bert.fc.weight",
                TensorView::new(Dtype::BF16, vec![1, 2], &w).unwrap(),
            ),
            (
                "bert.embeddings.position_ids",
                TensorView::new(Dtype::I64, vec![1, 2], &ids).unwrap(),
            ),
        ];
        let bytes = safetensors::serialize(views.clone(), None).unwrap();
        let r = Weights::from_safetensors(&bytes, &g).unwrap();
        assert_eq!(r.get("fc.weight").unwrap().data, [1.5, -0.25]);
        assert_eq!(r.ignored(), ["bert.embeddings.position_ids"]);

        let views = vec![(
            "fc.weight",
            TensorView::new(Dtype::I64, vec![1, 2], &ids).unwrap(),
        )];
        let e = Weights::from_safetensors(&safetensors::serialize(views, None).unwrap(), &g)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "weights: tensor `fc.weight` has dtype I64, expected F32, F16 or BF16"
        );

        let nan: Vec<u8> = [1.0f32, f32::NAN]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let views = vec![(
            "fc.weight",
            TensorView::new(Dtype::F32, vec![1, 2], &nan).unwrap(),
        )];
        let e = Weights::from_safetensors(&safetensors::serialize(views, None).unwrap(), &g)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "weights: tensor `fc.weight` has a non-finite value at element 1"
        );
    }

    #[test]
    fn missing_extra_and_wrong_shape_are_named() {
        let g = tiny();
        let w = Weights::synthetic(&g, 3);

        let mut m = w.clone();
        m.tensors.remove("encoder.layer.1.output.dense.bias");
        let e =
            Weights::from_safetensors(&m.to_safetensors(FileDtype::F32).unwrap(), &g).unwrap_err();
        assert_eq!(
            e.to_string(),
            "weights: parameter `encoder.layer.1.output.dense.bias` (shape [64]) is missing from the file"
        );

        let mut x = w.clone();
        x.insert("decoder.weight", Tensor::zeros(&[2, 2]));
        let e =
            Weights::from_safetensors(&x.to_safetensors(FileDtype::F32).unwrap(), &g).unwrap_err();
        assert_eq!(
            e.to_string(),
            "weights: tensor `decoder.weight` (shape [2, 2]) in the file is not a parameter of the model"
        );

        let mut s = w.clone();
        s.insert(
            "encoder.layer.0.attention.self.key.weight",
            Tensor::zeros(&[64, 32]),
        );
        let e =
            Weights::from_safetensors(&s.to_safetensors(FileDtype::F32).unwrap(), &g).unwrap_err();
        assert_eq!(
            e.to_string(),
            "weights: tensor `encoder.layer.0.attention.self.key.weight` has shape [64, 32], the model expects [64, 64]"
        );

        let mut d = w.clone();
        d.insert(
            "bert.encoder.layer.0.attention.self.key.weight",
            Tensor::zeros(&[64, 64]),
        );
        let e =
            Weights::from_safetensors(&d.to_safetensors(FileDtype::F32).unwrap(), &g).unwrap_err();
        assert!(matches!(e, WeightsError::Duplicate { .. }), "{e}");

        assert!(matches!(
            Weights::from_safetensors(b"nonsense", &g),
            Err(WeightsError::Format(_))
        ));
    }
}
