//! The component registry: every component mase-hw can emit, test and simulate, one
//! module per component named by its stem.

pub mod accumulator;
pub mod add;
pub mod adder_tree;
pub mod cast;
mod common;
pub mod dot_product;
mod elementwise;
pub mod fifo;
pub mod fork;
pub mod gelu;
pub mod join;
pub mod layernorm;
pub mod linear;
pub mod link;
pub mod link_vc;
pub mod matmul;
pub mod mul;
mod passthrough;
pub mod relu;
pub mod resize;
pub mod skid_buffer;
pub mod softmax;
pub mod transpose;
pub mod weight_rom;

use crate::component::Component;
use crate::error::GenError;

/// All components, in the order `mase-hw components` lists them.
pub fn all() -> &'static [&'static dyn Component] {
    &[
        &skid_buffer::SkidBuffer,
        &fifo::Fifo,
        &fork::Fork,
        &join::Join,
        &transpose::Transpose,
        &resize::Resize,
        &link::Link,
        &link_vc::LinkVc,
        &weight_rom::WeightRom,
        &cast::Cast,
        &adder_tree::AdderTree,
        &dot_product::DotProduct,
        &accumulator::Accumulator,
        &linear::Linear,
        &matmul::Matmul,
        &layernorm::LayerNorm,
        &softmax::Softmax,
        &relu::Relu,
        &gelu::Gelu,
        &add::Add,
        &mul::Mul,
    ]
}

/// The component named `name`.
pub fn find(name: &str) -> Result<&'static dyn Component, GenError> {
    all()
        .iter()
        .copied()
        .find(|c| c.name() == name)
        .ok_or_else(|| GenError::UnknownComponent {
            name: name.to_string(),
            known: all()
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
}
