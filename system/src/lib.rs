//! mase-hw's system generator: a model graph (from `model`), its quantization plan and
//! weights are mapped onto component instances (from `generator`), connected in a typed
//! netlist, and stitched into one streaming top-level design that is itself an
//! [`generator::Instance`], so emission and co-simulation treat it like any component.
//!
//! Every op of the model IR maps: `linear`, `matmul`, `softmax`, `layernorm`, `gelu`,
//! `relu`, `add`, `mul` onto their components, `split_heads`/`merge_heads` onto
//! `transpose`, `reshape` onto nothing. Fan-out gets forks, reconvergent paths FIFOs
//! sized by a stated rule ([`netlist`]), differing formats casts and differing lane
//! counts lane-width converters. What cannot be joined is an error naming the nodes.

pub mod board;
pub mod emit;
pub mod error;
pub mod fpga;
pub mod fpga_board;
pub mod html;
pub mod inputs;
pub mod load;
pub mod map;
pub mod monitor;
pub mod netlist;
pub mod plan;
pub mod split;
pub mod top;

pub use error::SystemError;
pub use map::map_model;
pub use netlist::{NetNode, Netlist};
pub use top::SystemInstance;
