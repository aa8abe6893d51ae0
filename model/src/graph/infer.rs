//! Shape inference per op: the output shape of a node from its input and parameter
//! shapes, or the [`GraphError`] naming the node and the expected and actual shapes.
//! Called by [`super::Graph::validate`] after arity and name checks; it checks
//! attributes and shapes only, never names.

use super::{GraphError, Node, Op};

pub(super) fn attr(
    node: &Node,
    key: &'static str,
    value: impl std::fmt::Debug,
    rule: &'static str,
) -> GraphError {
    GraphError::Attribute {
        node: node.name.clone(),
        key,
        value: format!("{value:?}"),
        rule,
    }
}

fn shape_err(
    node: &Node,
    what: impl Into<String>,
    expected: &[usize],
    actual: &[usize],
) -> GraphError {
    GraphError::Shape {
        node: node.name.clone(),
        what: what.into(),
        expected: expected.to_vec(),
        actual: actual.to_vec(),
    }
}

/// The output shape of `node` given its input and parameter shapes (arity checked).
pub(super) fn infer(
    node: &Node,
    ins: &[&[usize]],
    ps: &[(&str, &[usize])],
) -> Result<Vec<usize>, GraphError> {
    if node.shape.contains(&0) {
        return Err(attr(
            node,
            "shape",
            &node.shape,
            "every dimension must be at least 1",
        ));
    }
    let last = |s: &[usize], key: &'static str| -> Result<usize, GraphError> {
        s.last()
            .copied()
            .ok_or_else(|| attr(node, key, s, "needs at least one axis"))
    };
    match &node.op {
        Op::Input => {
            if node.shape.is_empty() {
                return Err(attr(
                    node,
                    "shape",
                    &node.shape,
                    "an input needs at least one axis",
                ));
            }
            Ok(node.shape.clone())
        }
        Op::Output | Op::Gelu | Op::Relu => Ok(ins[0].to_vec()),
        Op::Add | Op::Mul => {
            if ins[0] != ins[1] {
                return Err(shape_err(
                    node,
                    "second input shape (no broadcasting)",
                    ins[0],
                    ins[1],
                ));
            }
            Ok(ins[0].to_vec())
        }
        Op::Softmax { scale } => {
            if !scale.is_finite() || *scale <= 0.0 {
                return Err(attr(node, "scale", scale, "must be finite and positive"));
            }
            last(ins[0], "input")?;
            Ok(ins[0].to_vec())
        }
        Op::Layernorm { eps, .. } => {
            if !eps.is_finite() || *eps <= 0.0 {
                return Err(attr(node, "eps", eps, "must be finite and positive"));
            }
            let d = last(ins[0], "input")?;
            for (name, shape) in ps {
                if *shape != [d] {
                    return Err(shape_err(
                        node,
                        format!("parameter `{name}` shape"),
                        &[d],
                        shape,
                    ));
                }
            }
            Ok(ins[0].to_vec())
        }
        Op::Linear { .. } => {
            let x = ins[0];
            let d_in = last(x, "input")?;
            let (wname, w) = ps[0];
            if w.len() != 2 || w[1] != d_in {
                let out = w.first().copied().unwrap_or(0);
                return Err(shape_err(
                    node,
                    format!("weight `{wname}` shape [out, in]"),
                    &[out, d_in],
                    w,
                ));
            }
            let d_out = w[0];
            if let Some((bname, b)) = ps.get(1)
                && *b != [d_out]
            {
                return Err(shape_err(
                    node,
                    format!("bias `{bname}` shape"),
                    &[d_out],
                    b,
                ));
            }
            let mut y = x.to_vec();
            if let Some(l) = y.last_mut() {
                *l = d_out;
            }
            Ok(y)
        }
        Op::Matmul { transpose_b } => {
            let (a, b) = (ins[0], ins[1]);
            if a.len() < 2 {
                return Err(attr(
                    node,
                    "first input shape",
                    a,
                    "needs at least two axes [.., m, k]",
                ));
            }
            if b.len() != a.len() {
                return Err(attr(
                    node,
                    "second input shape",
                    b,
                    "needs as many axes as the first",
                ));
            }
            let r = a.len();
            if a[..r - 2] != b[..r - 2] {
                return Err(shape_err(
                    node,
                    "second input batch axes",
                    &a[..r - 2],
                    &b[..r - 2],
                ));
            }
            let (m, k) = (a[r - 2], a[r - 1]);
            let (bk, n) = if *transpose_b {
                (b[r - 1], b[r - 2])
            } else {
                (b[r - 2], b[r - 1])
            };
            if bk != k {
                let mut want = b.to_vec();
                if *transpose_b {
                    want[r - 1] = k;
                } else {
                    want[r - 2] = k;
                }
                return Err(shape_err(
                    node,
                    "second input shape (inner dimension k)",
                    &want,
                    b,
                ));
            }
            let mut y = a[..r - 2].to_vec();
            y.extend([m, n]);
            Ok(y)
        }
        Op::Reshape => {
            let (from, to) = (
                ins[0].iter().product::<usize>(),
                node.shape.iter().product::<usize>(),
            );
            if from != to || node.shape.is_empty() {
                return Err(shape_err(
                    node,
                    "output shape (same element count as the input)",
                    ins[0],
                    &node.shape,
                ));
            }
            Ok(node.shape.clone())
        }
        Op::SplitHeads { heads } => {
            let x = ins[0];
            if x.len() != 2 {
                return Err(attr(
                    node,
                    "input shape",
                    x,
                    "split_heads takes [s, heads*d]",
                ));
            }
            if *heads == 0 || !x[1].is_multiple_of(*heads) {
                return Err(attr(
                    node,
                    "heads",
                    heads,
                    "must be positive and divide the input's last axis",
                ));
            }
            Ok(vec![*heads, x[0], x[1] / heads])
        }
        Op::MergeHeads => {
            let x = ins[0];
            if x.len() != 3 {
                return Err(attr(
                    node,
                    "input shape",
                    x,
                    "merge_heads takes [heads, s, d]",
                ));
            }
            Ok(vec![x[1], x[0] * x[2]])
        }
    }
}
