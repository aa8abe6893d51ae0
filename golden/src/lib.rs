//! `golden` is the bit-exact reference arithmetic of mase-hw: integer-only fixed-point
//! formats, the one requantisation rule ([`cast`], seven rounding and four overflow
//! modes), the exact width-growth rules for sums and products, and a whole-tensor
//! model of every component (`golden/src/<stem>.rs` beside `components/<stem>/`).
//! Every SystemVerilog component must agree with it bit for bit, ROM contents are
//! computed by it, and testbenches compare against it beat by beat. It is *not* a
//! simulator: it knows nothing of clocks, handshakes, latency or lane packing beyond
//! the element order of a stream, and it uses floating point only in the explicit
//! conversions (`Format::to_f64` / `Format::from_f64`, `linear::linear_f64`). It
//! depends on no other crate of the workspace.

pub mod accumulator;
pub mod adder_tree;
pub mod cast;
pub mod dot_product;
pub mod fixed;
pub mod linear;

pub use fixed::{FixedError, Format, Overflow, Rounding, cast};
