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
//! - [`erf`]: the accurate `erf`/`erfc` the float GELU uses;
//! - [`tensor`]: the dense tensor type shared by weights and activations;
//! - [`rng`]: the seeded generator behind synthetic weights and inputs.
//!
//! It is *not* a hardware generator: it knows no components, streams or SystemVerilog.

pub mod erf;
pub mod float;
pub mod graph;
pub mod hf;
pub mod json;
pub mod quant;
pub mod rng;
pub mod tensor;
pub mod weights;
