//! Simulators for mase-hw designs. `verilator` finds the tool, builds a shared library
//! per (sources, top, flags) through a small generated C++ wrapper and caches it;
//! `model` loads such a library and exposes every port as a pointer Rust reads and
//! writes directly, so a cycle costs two `eval` calls and no marshalling.
//!
//! This crate's Verilator side knows ports and bits only: streams, tensors and golden
//! models are the business of `generator` and `testbenches`. `cycle` is the fast
//! beat-level cycle simulator: one cycle model per component, an event-driven engine.

pub mod build_mode;
pub mod cycle;
pub mod icarus;
pub mod model;
pub mod tools;
pub mod verilator;
pub mod yosys;

pub use build_mode::{BuildEvent, BuildMode};
pub use icarus::{Icarus, IcarusError};
pub use model::{Library, Model, PortDecl, PortDir};
pub use verilator::{BuildInfo, BuildRequest, SimError, Verilator};
