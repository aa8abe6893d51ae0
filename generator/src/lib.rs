//! mase-hw's generator: the registry of streaming components, their parameters and
//! validation, machine-readable signatures, the SystemVerilog library and the printer
//! for generated tops, and emission of a component as files on disk.
//!
//! It does not simulate anything (see the `sim` and `testbenches` crates) and never
//! parses SystemVerilog: all facts about a module come from its descriptor.

pub mod bits;
pub mod component;
pub mod components;
pub mod emit;
pub mod error;
pub mod library;
pub mod names;
pub mod outdir;
pub mod params;
pub mod resources;
pub mod rng;
pub mod sv;
pub mod tensor;

pub use component::{Component, Instance, Signature, StreamDef};
pub use error::GenError;
pub use params::{ParamSpec, Params};
pub use tensor::{Tensor, TensorMap};
