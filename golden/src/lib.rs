//! `golden` is the bit-exact reference arithmetic of mase-hw: integer-only fixed-point
//! formats, the one requantisation rule ([`cast()`], seven rounding and four overflow
//! modes), the exact width-growth rules for sums and products, and a whole-tensor
//! model of every component (`golden/src/<stem>.rs` beside `components/<stem>/`).
//! Every SystemVerilog component must agree with it bit for bit, ROM contents are
//! computed by it, and testbenches compare against it beat by beat. It is *not* a
//! simulator: it knows nothing of clocks, handshakes, latency or lane packing beyond
//! the element order of a stream, and it uses floating point only in the explicit
//! conversions (`Format::to_f64` / `Format::from_f64`, `linear::linear_f64`, `matmul::matmul_f64`). It
//! depends on no other crate of the workspace.
//!
//! ```
//! use golden::{Format, Overflow, Rounding, cast};
//!
//! let from = Format::signed(16, 8)?; // s16.8
//! let to = Format::signed(8, 4)?; // s8.4
//! // 1.03125 (raw 264) is exactly half an s8.4 LSB above 1.0: RND goes up, RND_CONV to even.
//! assert_eq!(cast(264, from, to, Rounding::Rnd, Overflow::Sat), 17);
//! assert_eq!(cast(264, from, to, Rounding::RndConv, Overflow::Sat), 16);
//! // 100.0 does not fit s8.4 (max 7.9375).
//! assert_eq!(cast(100 << 8, from, to, Rounding::Rnd, Overflow::Sat), 127);
//! # Ok::<(), golden::FixedError>(())
//! ```

pub mod accumulator;
pub mod add;
pub mod adder_tree;
pub mod cast;
pub mod dot_product;
pub mod fixed;
pub mod gelu;
pub mod hash;
pub mod layernorm;
pub mod linear;
pub mod link;
pub mod matmul;
pub mod mul;
pub mod relu;
pub mod resize;
pub mod softmax;
pub mod transpose;

pub use fixed::{FixedError, Format, Overflow, Rounding, cast};
