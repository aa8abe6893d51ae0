//! mase-hw's system generator: a model graph (from `model`), its quantization plan and
//! weights are mapped onto component instances (from `generator`), connected in a typed
//! netlist, and stitched into one streaming top-level design that is itself an
//! [`generator::Instance`], so emission and co-simulation treat it like any component.
//!
//! Scope today: chain models (every node feeds at most one other node), with `linear`
//! (weights from ROM), `relu` and `softmax` nodes and `cast`s where formats differ.
//! Fan-out (forks, reconvergent FIFOs, as BERT's residuals need) and lane-width
//! converters between nodes of different parallelism are not implemented; both are
//! reported as errors naming the nodes involved, never approximated.

pub mod emit;
pub mod error;
pub mod map;
pub mod netlist;
pub mod top;

pub use error::SystemError;
pub use map::map_chain;
pub use netlist::{NetNode, Netlist};
pub use top::SystemInstance;
