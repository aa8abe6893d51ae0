//! Import of a Hugging Face BERT `config.json`: the encoder expanded into a [`Graph`].
//!
//! The graph starts at the hidden states *after* the embedding (word + position +
//! token-type embeddings and their LayerNorm stay on the host: they are a table lookup,
//! not a streaming computation) and ends after the last encoder layer; the pooler and
//! any task head are not part of it. Per layer `i` (prefix `encoder.layer.{i}`):
//!
//! ```text
//! x ─► query, key, value (linear) ─► split_heads ─► scores = q·kᵀ (matmul, transpose_b)
//!   ─► softmax(scores / √d_head) ─► context = probs·v (matmul) ─► merge_heads
//!   ─► attention.output.dense (linear) ─► + x ─► attention.output.LayerNorm
//!   ─► intermediate.dense (linear) ─► gelu ─► output.dense (linear) ─► + ─► output.LayerNorm
//! ```
//!
//! Linear and LayerNorm nodes carry the Hugging Face module name, and their
//! parameters the standard tensor names (`….attention.self.query.weight`,
//! `….attention.output.LayerNorm.bias`, `….intermediate.dense.weight`, …), so a
//! `model.safetensors` maps onto the graph by name. The sequence length is a
//! parameter of the expansion, not part of the config.
//!
//! `bert`, `roberta` and `distilbert` configs expand to this same graph (DistilBERT's
//! keys are read through serde aliases, its tensor names mapped in
//! [`crate::weights`]); `hidden_act` `relu` gives a ReLU node instead of the GELU; the
//! tanh GELU approximations and every other model type are refused by name, never
//! approximated. [`BertConfig::truncate`] keeps the first layers (`--layers`).

use serde::Deserialize;
use thiserror::Error;

use crate::graph::{Graph, GraphError, Node, Op, Param, SCHEMA_VERSION};
use crate::weights::Weights;

/// The fields of a Hugging Face `config.json` the expansion reads (others are ignored).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BertConfig {
    /// `"bert"`, `"roberta"` or `"distilbert"`: the same post-LayerNorm encoder graph.
    /// RoBERTa's tensors carry a `roberta.` prefix and its positions start after the
    /// padding index; DistilBERT's config keys and module names differ (mapped by
    /// serde aliases here and in [`crate::weights`]) and it has no token types.
    pub model_type: String,
    /// Hidden size `H` (DistilBERT: `dim`).
    #[serde(alias = "dim")]
    pub hidden_size: usize,
    /// Number of encoder layers (DistilBERT: `n_layers`).
    #[serde(alias = "n_layers")]
    pub num_hidden_layers: usize,
    /// Number of attention heads, dividing `H` (DistilBERT: `n_heads`).
    #[serde(alias = "n_heads")]
    pub num_attention_heads: usize,
    /// FFN width (DistilBERT: `hidden_dim`).
    #[serde(alias = "hidden_dim")]
    pub intermediate_size: usize,
    /// Activation of the FFN: `"gelu"` (the exact, erf-based one) or `"relu"`. The
    /// tanh approximations (`"gelu_new"`, `"gelu_pytorch_tanh"`, …) are refused by
    /// name rather than replaced by the exact GELU.
    #[serde(default = "default_act", alias = "activation")]
    pub hidden_act: String,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Index of the padding token (RoBERTa numbers positions from `pad_token_id + 1`).
    #[serde(default)]
    pub pad_token_id: Option<usize>,
}

fn default_act() -> String {
    "gelu".into()
}

fn default_eps() -> f64 {
    1e-12
}

/// Why a config could not be expanded.
#[derive(Debug, Error)]
pub enum HfError {
    /// The file could not be read.
    #[error("cannot read Hugging Face config `{path}`: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not JSON, or a required field is missing or mistyped.
    #[error("Hugging Face config: {0}")]
    Parse(#[from] serde_json::Error),
    /// A field has a value the expansion does not support.
    #[error("Hugging Face config: {field} = {value}: {rule}")]
    Field {
        /// The config key (or `seq_len`).
        field: &'static str,
        /// Its value, printed.
        value: String,
        /// The rule broken.
        rule: &'static str,
    },
    /// The expanded graph failed validation (a bug if it happens).
    #[error("expanded BERT graph: {0}")]
    Graph(#[from] GraphError),
}

/// The `model_type` values whose encoder is the graph [`expand`] builds.
pub const SUPPORTED_MODEL_TYPES: [&str; 3] = ["bert", "roberta", "distilbert"];

impl BertConfig {
    /// Keeps only the first `layers` encoder layers (a prefix of the model: short
    /// simulations, layer-by-layer studies).
    ///
    /// # Errors
    /// [`HfError::Field`] when `layers` is 0 or more than the model has.
    pub fn truncate(&mut self, layers: usize) -> Result<(), HfError> {
        if layers == 0 || layers > self.num_hidden_layers {
            return Err(HfError::Field {
                field: "layers",
                value: layers.to_string(),
                rule: "must be between 1 and num_hidden_layers",
            });
        }
        self.num_hidden_layers = layers;
        Ok(())
    }

    /// Parses a `config.json` text.
    ///
    /// # Errors
    /// [`HfError::Parse`] for malformed JSON or missing fields.
    pub fn from_json(text: &str) -> Result<BertConfig, HfError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Reads a `config.json` file (or the `config.json` inside a directory).
    ///
    /// # Errors
    /// [`HfError::Io`] or [`HfError::Parse`].
    pub fn load(path: &std::path::Path) -> Result<BertConfig, HfError> {
        let path = if path.is_dir() {
            path.join("config.json")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&path).map_err(|source| HfError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// The configuration of `bert-tiny` as shipped in `examples/` (2 layers, hidden 64,
    /// 4 heads, FFN 128).
    pub fn tiny() -> BertConfig {
        BertConfig {
            model_type: "bert".into(),
            hidden_size: 64,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 128,
            hidden_act: "gelu".into(),
            layer_norm_eps: 1e-12,
            pad_token_id: None,
        }
    }

    /// The configuration of `bert-base-uncased` (12 layers, hidden 768, 12 heads,
    /// FFN 3072).
    pub fn base() -> BertConfig {
        BertConfig {
            model_type: "bert".into(),
            hidden_size: 768,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            intermediate_size: 3072,
            hidden_act: "gelu".into(),
            layer_norm_eps: 1e-12,
            pad_token_id: None,
        }
    }

    fn check(&self, seq_len: usize) -> Result<(), HfError> {
        let field = |field, value: &dyn std::fmt::Display, rule| HfError::Field {
            field,
            value: value.to_string(),
            rule,
        };
        if !SUPPORTED_MODEL_TYPES.contains(&self.model_type.as_str()) {
            return Err(field(
                "model_type",
                &self.model_type,
                "only \"bert\", \"roberta\" and \"distilbert\" encoders are supported",
            ));
        }
        match self.hidden_act.as_str() {
            "gelu" | "relu" => {}
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" | "quick_gelu" => {
                return Err(field(
                    "hidden_act",
                    &self.hidden_act,
                    "this GELU approximation is not implemented (only the exact erf-based \"gelu\" and \"relu\" are); it is not replaced by the exact GELU",
                ));
            }
            _ => {
                return Err(field(
                    "hidden_act",
                    &self.hidden_act,
                    "only \"gelu\" (exact, erf-based) and \"relu\" are supported",
                ));
            }
        }
        for (name, v) in [
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("seq_len", seq_len),
        ] {
            if v == 0 {
                return Err(field(name, &v, "must be at least 1"));
            }
        }
        // Far beyond any FPGA model; keeps the expansion itself (nodes and names per
        // layer) small before the budget check sees the graph.
        if self.num_hidden_layers > MAX_LAYERS {
            return Err(field(
                "num_hidden_layers",
                &self.num_hidden_layers,
                "must be at most 1024",
            ));
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(field(
                "num_attention_heads",
                &self.num_attention_heads,
                "must divide hidden_size",
            ));
        }
        if !self.layer_norm_eps.is_finite() || self.layer_norm_eps <= 0.0 {
            return Err(field(
                "layer_norm_eps",
                &self.layer_norm_eps,
                "must be finite and positive",
            ));
        }
        Ok(())
    }
}

/// Most encoder layers a config may ask for.
pub const MAX_LAYERS: usize = 1024;

/// Expands `cfg` into the validated encoder graph for sequences of `seq_len` tokens.
/// The input node is `hidden_states [seq_len, H]`, the output node `output`.
///
/// # Errors
/// [`HfError::Field`] for an unsupported or inconsistent config.
pub fn expand(cfg: &BertConfig, seq_len: usize, name: &str) -> Result<Graph, HfError> {
    cfg.check(seq_len)?;
    let (s, h, f, heads) = (
        seq_len,
        cfg.hidden_size,
        cfg.intermediate_size,
        cfg.num_attention_heads,
    );
    let d = h / heads;
    let mut b = Builder::default();
    b.node("hidden_states", Op::Input, &[], vec![s, h]);
    let mut x = "hidden_states".to_owned();
    for i in 0..cfg.num_hidden_layers {
        let l = format!("encoder.layer.{i}");
        let at = format!("{l}.attention.self");
        for proj in ["query", "key", "value"] {
            b.linear(&format!("{at}.{proj}"), &x, h, h, s);
            b.node(
                &format!("{at}.{proj}.heads"),
                Op::SplitHeads { heads },
                &[&format!("{at}.{proj}")],
                vec![heads, s, d],
            );
        }
        b.node(
            &format!("{at}.scores"),
            Op::Matmul { transpose_b: true },
            &[&format!("{at}.query.heads"), &format!("{at}.key.heads")],
            vec![heads, s, s],
        );
        b.node(
            &format!("{at}.probs"),
            Op::Softmax {
                scale: 1.0 / (d as f64).sqrt(),
            },
            &[&format!("{at}.scores")],
            vec![heads, s, s],
        );
        b.node(
            &format!("{at}.context"),
            Op::Matmul { transpose_b: false },
            &[&format!("{at}.probs"), &format!("{at}.value.heads")],
            vec![heads, s, d],
        );
        b.node(
            &format!("{at}.merge"),
            Op::MergeHeads,
            &[&format!("{at}.context")],
            vec![s, h],
        );
        let ao = format!("{l}.attention.output");
        b.linear(&format!("{ao}.dense"), &format!("{at}.merge"), h, h, s);
        b.node(
            &format!("{ao}.residual"),
            Op::Add,
            &[&format!("{ao}.dense"), &x],
            vec![s, h],
        );
        b.layernorm(
            &format!("{ao}.LayerNorm"),
            &format!("{ao}.residual"),
            h,
            s,
            cfg.layer_norm_eps,
        );
        b.linear(
            &format!("{l}.intermediate.dense"),
            &format!("{ao}.LayerNorm"),
            h,
            f,
            s,
        );
        let (act, act_op) = if cfg.hidden_act == "relu" {
            (format!("{l}.intermediate.relu"), Op::Relu)
        } else {
            (format!("{l}.intermediate.gelu"), Op::Gelu)
        };
        b.node(
            &act,
            act_op,
            &[&format!("{l}.intermediate.dense")],
            vec![s, f],
        );
        b.linear(&format!("{l}.output.dense"), &act, f, h, s);
        b.node(
            &format!("{l}.output.residual"),
            Op::Add,
            &[&format!("{l}.output.dense"), &format!("{ao}.LayerNorm")],
            vec![s, h],
        );
        b.layernorm(
            &format!("{l}.output.LayerNorm"),
            &format!("{l}.output.residual"),
            h,
            s,
            cfg.layer_norm_eps,
        );
        x = format!("{l}.output.LayerNorm");
    }
    b.node("output", Op::Output, &[&x], vec![s, h]);
    let graph = Graph {
        version: SCHEMA_VERSION,
        name: name.to_owned(),
        params: b.params,
        nodes: b.nodes,
    };
    graph.validate()?;
    Ok(graph)
}

/// Expands `cfg` (validated) and draws seeded synthetic weights for it
/// ([`Weights::synthetic`], BERT initialisation): everything `gen` needs before
/// quantization when no checkpoint is given. This is the function the `build`
/// benchmark times for bert-base.
///
/// # Errors
/// As [`expand`].
pub fn expand_synthetic(
    cfg: &BertConfig,
    seq_len: usize,
    name: &str,
    seed: u64,
) -> Result<(Graph, Weights), HfError> {
    let graph = expand(cfg, seq_len, name)?;
    let weights = Weights::synthetic(&graph, seed);
    Ok((graph, weights))
}

#[derive(Default)]
struct Builder {
    params: Vec<Param>,
    nodes: Vec<Node>,
}

impl Builder {
    fn node(&mut self, name: &str, op: Op, inputs: &[&str], shape: Vec<usize>) {
        self.nodes.push(Node {
            name: name.to_owned(),
            op,
            inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
            shape,
        });
    }

    fn param(&mut self, name: String, shape: Vec<usize>) -> String {
        self.params.push(Param {
            name: name.clone(),
            shape,
        });
        name
    }

    fn linear(&mut self, name: &str, input: &str, d_in: usize, d_out: usize, s: usize) {
        let weight = self.param(format!("{name}.weight"), vec![d_out, d_in]);
        let bias = Some(self.param(format!("{name}.bias"), vec![d_out]));
        self.node(name, Op::Linear { weight, bias }, &[input], vec![s, d_out]);
    }

    fn layernorm(&mut self, name: &str, input: &str, d: usize, s: usize, eps: f64) {
        let gamma = self.param(format!("{name}.weight"), vec![d]);
        let beta = self.param(format!("{name}.bias"), vec![d]);
        self.node(
            name,
            Op::Layernorm { eps, gamma, beta },
            &[input],
            vec![s, d],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_expansion() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        // input + 2 layers x 18 nodes + output
        assert_eq!(g.nodes.len(), 2 + 2 * 18);
        assert_eq!(g.params.len(), 2 * 16);
        let p = g
            .param("encoder.layer.1.intermediate.dense.weight")
            .unwrap();
        assert_eq!(p.shape, vec![128, 64]);
        assert!(
            g.param("encoder.layer.0.attention.output.LayerNorm.bias")
                .is_some()
        );
        assert!(g.param("encoder.layer.0.output.LayerNorm.weight").is_some());
        let sm = g.node("encoder.layer.0.attention.self.probs").unwrap();
        assert_eq!(sm.op, Op::Softmax { scale: 0.25 });
        assert_eq!(sm.shape, vec![4, 8, 8]);
    }

    #[test]
    fn relu_and_roberta_expand() {
        let mut cfg = BertConfig::tiny();
        cfg.hidden_act = "relu".into();
        cfg.model_type = "roberta".into();
        let g = expand(&cfg, 8, "x").unwrap();
        let n = g.node("encoder.layer.0.intermediate.relu").unwrap();
        assert_eq!(n.op, Op::Relu);
        assert!(g.node("encoder.layer.0.intermediate.gelu").is_none());
    }

    #[test]
    fn reads_distilbert_config() {
        let text = r#"{"model_type": "distilbert", "dim": 96, "n_layers": 2, "n_heads": 3,
            "hidden_dim": 192, "activation": "gelu", "vocab_size": 30522}"#;
        let cfg = BertConfig::from_json(text).unwrap();
        assert_eq!(
            (
                cfg.hidden_size,
                cfg.num_attention_heads,
                cfg.intermediate_size
            ),
            (96, 3, 192)
        );
        expand(&cfg, 8, "distil").unwrap();
    }

    #[test]
    fn reads_hf_config() {
        let text = r#"{"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 512,
            "hidden_act": "gelu", "layer_norm_eps": 1e-12, "vocab_size": 30522}"#;
        let cfg = BertConfig::from_json(text).unwrap();
        assert_eq!(cfg.hidden_size, 128);
        expand(&cfg, 16, "prajjwal1/bert-tiny").unwrap();
    }

    #[test]
    fn config_errors_name_field() {
        let mut cfg = BertConfig::tiny();
        cfg.num_attention_heads = 5;
        let e = expand(&cfg, 8, "x").unwrap_err().to_string();
        assert_eq!(
            e,
            "Hugging Face config: num_attention_heads = 5: must divide hidden_size"
        );
        let mut cfg = BertConfig::tiny();
        cfg.hidden_act = "gelu_new".into();
        let e = expand(&cfg, 8, "x").unwrap_err().to_string();
        assert!(
            e.contains("hidden_act = gelu_new") && e.contains("not replaced"),
            "{e}"
        );
        cfg.hidden_act = "silu".into();
        assert!(
            expand(&cfg, 8, "x")
                .unwrap_err()
                .to_string()
                .contains("hidden_act = silu")
        );
        let mut cfg = BertConfig::tiny();
        cfg.model_type = "gpt2".into();
        let e = expand(&cfg, 8, "x").unwrap_err().to_string();
        assert!(e.contains("model_type = gpt2"), "{e}");
        let mut cfg = BertConfig::tiny();
        assert!(
            cfg.truncate(3)
                .unwrap_err()
                .to_string()
                .contains("layers = 3")
        );
        cfg.truncate(1).unwrap();
        assert_eq!(expand(&cfg, 8, "x").unwrap().nodes.len(), 2 + 18);
        assert!(
            expand(&BertConfig::tiny(), 0, "x")
                .unwrap_err()
                .to_string()
                .contains("seq_len = 0")
        );
        let e = BertConfig::from_json(r#"{"model_type": "bert"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("hidden_size"), "{e}");
    }
}
