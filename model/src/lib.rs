//! `model` is the frontend of mase-hw's model flow: it turns a model description into
//! a validated graph with weights, a quantization/parallelism plan and a float
//! reference, ready for the generator to map onto components.
//!
//! - [`graph`]: the versioned graph IR and its validation (shape inference per op);
//! - [`json`]: mase-hw's own model JSON (`docs/model-json.md`);
//! - [`hf`]: a Hugging Face BERT `config.json` expanded into the encoder graph;
//! - [`weights`]: `model.safetensors` (f32/f16/bf16) or seeded synthetic weights;
//! - [`quant`]: the TOML quantization and parallelism config, resolved per tensor;
//! - [`float`]: the f64 reference executor (every node's output);
//! - [`fold`]: a softmax scale folded into the query projection (hardware graph);
//! - [`text`]: a checkpoint's tokenizer and embedding on the host (text → inputs);
//! - [`erf`]: the accurate `erf`/`erfc` the float GELU uses;
//! - [`tensor`]: the dense tensor type shared by weights and activations;
//! - [`rng`]: the seeded generator behind synthetic weights and inputs.
//!
//! It is *not* a hardware generator: it knows no components, streams or SystemVerilog.
//!
//! ```
//! use model::{float, hf, quant::QuantConfig};
//!
//! // bert-tiny from its Hugging Face config, sequences of 8 tokens, synthetic weights.
//! let (graph, weights) = hf::expand_synthetic(&hf::BertConfig::tiny(), 8, "bert-tiny", 1)?;
//! // Float reference on a seeded input: every node's output, and its ranges.
//! let acts = float::run(&graph, &weights, &float::synthetic_inputs(&graph, 2))?;
//! // 16-bit everywhere, fractional bits from the ranges, 4 lanes on one FFN layer.
//! let cfg = QuantConfig::from_toml(
//!     "[default]\nwidth = 16\nfrac = \"auto\"\n\
//!      [node.\"encoder.layer.0.intermediate.dense\"]\nparallelism = { in = 4, out = 4 }\n",
//! )?;
//! let plan = cfg.resolve(&graph, Some(&weights), Some(&acts.ranges()))?;
//! assert_eq!(plan.tensors["hidden_states"].format.width(), 16);
//! assert_eq!(plan.parallelism["encoder.layer.0.intermediate.dense"]["out"], 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod budget;
pub mod erf;
pub mod float;
pub mod fold;
pub mod graph;
pub mod hf;
pub mod json;
mod mem;
pub mod quant;
pub mod rng;
pub mod tensor;
pub mod text;
pub mod weights;
