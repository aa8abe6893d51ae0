//! Seeded model inputs for a system: N(0, 1) values (BERT's post-embedding hidden
//! states are LayerNorm outputs, so unit scale is realistic) drawn by the float
//! model's own generator, one seed per item, and their codes in the system's input
//! format (RND, SAT) — what accuracy runs, co-simulations and `sim system --random`
//! feed.

use generator::{Instance, Tensor};
use model::graph::Graph;

use crate::error::SystemError;
use crate::top::SystemInstance;

/// `items` inputs with seeds `first_seed`, `first_seed + 1`, …: the float values per
/// item and the quantized tensor `[items, ..input shape]`.
///
/// # Errors
/// `items` is zero, or the graph has no input the system reads.
pub fn synthetic(
    graph: &Graph,
    sys: &SystemInstance,
    first_seed: u64,
    items: usize,
) -> Result<(Vec<Vec<f64>>, Tensor), SystemError> {
    if items == 0 {
        return Err(SystemError::node(
            &sys.net.input_name,
            "items",
            "at least one input item is needed",
        ));
    }
    let fmt = sys.tensors()[0].format;
    let input = &sys.net.input_name;
    let (mut floats, mut raw) = (Vec::with_capacity(items), Vec::new());
    for k in 0..items as u64 {
        let x = model::float::synthetic_inputs(graph, first_seed.wrapping_add(k))
            .remove(input)
            .ok_or_else(|| SystemError::node(input, "input", "the graph has no such input"))?;
        raw.extend(
            x.data
                .iter()
                .map(|&v| fmt.from_f64(v, golden::Rounding::Rnd, golden::Overflow::Sat))
                .collect::<Result<Vec<i128>, _>>()
                .map_err(|e| SystemError::node(input, "value", e.to_string()))?,
        );
        floats.push(x.data);
    }
    let mut shape = vec![items];
    shape.extend(&sys.net.input_shape);
    Ok((floats, Tensor::new(shape, raw, fmt)))
}
