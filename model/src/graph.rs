//! The model graph IR: a versioned, ordered list of nodes, each producing one named
//! tensor of a declared shape, plus the named parameters (weights, biases, γ, β) the
//! nodes read.
//!
//! A node's output tensor carries the node's name, so "tensor" and "node" share one
//! namespace; parameters have their own. Nodes are listed in a topological order: every
//! input names a node listed earlier. [`Graph::validate`] checks exactly that, name
//! uniqueness, each op's arity and attributes, and infers every output shape from the
//! inputs and parameters, comparing it with the declared one. The IR describes *what*
//! is computed on real numbers; it knows nothing of fixed-point formats, parallelism or
//! hardware (see [`crate::quant`] for those), and it does not execute anything (see
//! [`crate::float`]).
//!
//! Conventions (all shapes row-major, the last axis is the feature axis):
//! - `linear`: `x [.., in]`, weight `[out, in]` (PyTorch / Hugging Face layout), bias
//!   `[out]` → `[.., out]`, i.e. `y = x·Wᵀ + b`.
//! - `matmul`: `a [.., m, k]`, `b [.., k, n]` (or `[.., n, k]` with `transpose_b`) →
//!   `[.., m, n]`; leading (batch) axes must be equal.
//! - `softmax` over the last axis of `scale · x`; `layernorm` over the last axis.
//! - `add`, `mul`: two inputs of the same shape (no broadcasting).
//! - `split_heads {heads}`: `[s, heads·d]` → `[heads, s, d]`; `merge_heads` is its
//!   inverse; `reshape {shape}` keeps the element order and count.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod infer;
use infer::{attr, infer};
use thiserror::Error;

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole model: parameters and nodes in topological order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Graph {
    /// Schema version; must equal [`SCHEMA_VERSION`].
    pub version: u32,
    /// A human-readable model name (`"bert-tiny"`).
    pub name: String,
    /// Named parameters and their shapes, in a deterministic order.
    pub params: Vec<Param>,
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
}

/// A named parameter tensor (its values live in [`crate::weights::Weights`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Name, e.g. `encoder.layer.0.attention.self.query.weight`.
    pub name: String,
    /// Shape, e.g. `[768, 768]`.
    pub shape: Vec<usize>,
}

/// One operation; its output tensor is called `name` and has shape `shape`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Node (and output tensor) name.
    pub name: String,
    /// The operation and its attributes.
    #[serde(flatten)]
    pub op: Op,
    /// Names of the input tensors (earlier nodes), in operand order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    /// Declared output shape, checked against inference.
    pub shape: Vec<usize>,
}

/// The operations of the IR and their attributes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// A graph input (no inputs); the shape is the declared one.
    Input,
    /// A graph output: passes its single input through.
    Output,
    /// `y = x·Wᵀ + b`.
    Linear {
        /// Parameter name of `W [out, in]`.
        weight: String,
        /// Parameter name of `b [out]`, if the layer has a bias.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias: Option<String>,
    },
    /// Batched matrix product of two activations.
    Matmul {
        /// Whether the second operand is stored `[.., n, k]` (so `a·bᵀ` is computed).
        #[serde(default)]
        transpose_b: bool,
    },
    /// `softmax(scale · x)` over the last axis.
    Softmax {
        /// Multiplier applied before the exponential (e.g. `1/√d_head`).
        scale: f64,
    },
    /// `(x − mean) / √(var + eps) · γ + β` over the last axis.
    Layernorm {
        /// Added to the variance.
        eps: f64,
        /// Parameter name of `γ [d]`.
        gamma: String,
        /// Parameter name of `β [d]`.
        beta: String,
    },
    /// Exact (erf-based) GELU.
    Gelu,
    /// `max(x, 0)`.
    Relu,
    /// Elementwise sum of two same-shaped inputs.
    Add,
    /// Elementwise product of two same-shaped inputs.
    Mul,
    /// Same elements, new shape.
    Reshape,
    /// `[s, heads·d]` → `[heads, s, d]`.
    SplitHeads {
        /// Number of heads.
        heads: usize,
    },
    /// `[heads, s, d]` → `[s, heads·d]`.
    MergeHeads,
}

impl Op {
    /// The op's name as spelled in the model JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Input => "input",
            Op::Output => "output",
            Op::Linear { .. } => "linear",
            Op::Matmul { .. } => "matmul",
            Op::Softmax { .. } => "softmax",
            Op::Layernorm { .. } => "layernorm",
            Op::Gelu => "gelu",
            Op::Relu => "relu",
            Op::Add => "add",
            Op::Mul => "mul",
            Op::Reshape => "reshape",
            Op::SplitHeads { .. } => "split_heads",
            Op::MergeHeads => "merge_heads",
        }
    }

    /// Number of input tensors the op takes.
    pub fn arity(&self) -> usize {
        match self {
            Op::Input => 0,
            Op::Matmul { .. } | Op::Add | Op::Mul => 2,
            _ => 1,
        }
    }

    /// The parameter names the op reads, in a fixed order.
    pub fn params(&self) -> Vec<&str> {
        match self {
            Op::Linear { weight, bias } => {
                let mut v = vec![weight.as_str()];
                v.extend(bias.as_deref());
                v
            }
            Op::Layernorm { gamma, beta, .. } => vec![gamma.as_str(), beta.as_str()],
            _ => Vec::new(),
        }
    }
}

/// Why a graph is not valid. Every variant names the node (or parameter) at fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GraphError {
    /// The schema version is not the one this crate reads.
    #[error("model schema version {found} is not supported (this build reads version {expected})")]
    Version {
        /// Version in the file.
        found: u32,
        /// [`SCHEMA_VERSION`].
        expected: u32,
    },
    /// Two nodes, or two parameters, share a name.
    #[error("duplicate {kind} name `{name}`: names must be unique")]
    Duplicate {
        /// `"node"` or `"parameter"`.
        kind: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A name is empty.
    #[error("a {kind} has an empty name")]
    EmptyName {
        /// `"node"` or `"parameter"`.
        kind: &'static str,
    },
    /// An input names no earlier node.
    #[error(
        "node `{node}`: input `{input}` is not defined before use (inputs must name earlier nodes)"
    )]
    UndefinedInput {
        /// The reading node.
        node: String,
        /// The unknown input name.
        input: String,
    },
    /// A parameter name is not declared in `params`.
    #[error("node `{node}`: parameter `{param}` is not declared in `params`")]
    UndefinedParam {
        /// The reading node.
        node: String,
        /// The unknown parameter name.
        param: String,
    },
    /// A declared parameter is read by no node.
    #[error("parameter `{param}` is declared but no node reads it")]
    UnusedParam {
        /// The parameter.
        param: String,
    },
    /// Wrong number of inputs for the op.
    #[error("node `{node}` ({op}): expects {expected} input(s), has {actual}")]
    Arity {
        /// The node.
        node: String,
        /// Its op kind.
        op: &'static str,
        /// Inputs the op takes.
        expected: usize,
        /// Inputs listed.
        actual: usize,
    },
    /// A shape does not match what the op requires.
    #[error("node `{node}`: {what}: expected {expected:?}, got {actual:?}")]
    Shape {
        /// The node.
        node: String,
        /// Which shape (`"output shape"`, `"weight `w` shape"`, ...).
        what: String,
        /// The shape required.
        expected: Vec<usize>,
        /// The shape found.
        actual: Vec<usize>,
    },
    /// A shape or attribute breaks an op's rule.
    #[error("node `{node}`: {key} = {value}: {rule}")]
    Attribute {
        /// The node.
        node: String,
        /// The attribute or operand.
        key: &'static str,
        /// Its value, printed.
        value: String,
        /// The rule broken.
        rule: &'static str,
    },
    /// A parameter's element count exceeds [`MAX_ELEMENTS`].
    #[error("parameter `{param}`: shape {shape:?}: the element count must fit in 2^48")]
    ParamSize {
        /// The parameter.
        param: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// The graph has no `input` or no `output` node.
    #[error("the graph has no `{0}` node")]
    Missing(&'static str),
    /// A node whose output reaches no `output` node (it would be dead hardware).
    #[error("node `{node}`: its output reaches no `output` node; remove it")]
    Dead {
        /// The node.
        node: String,
    },
}

impl Graph {
    /// Looks a node up by name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Looks a parameter up by name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The `input` nodes, in order.
    pub fn inputs(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.op == Op::Input)
    }

    /// The `output` nodes, in order.
    pub fn outputs(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.op == Op::Output)
    }

    /// Checks the version, names, topological order, arities, attributes and every
    /// shape (inferred from inputs and parameters, compared with the declared one).
    ///
    /// # Errors
    /// The first [`GraphError`] found, in node order.
    pub fn validate(&self) -> Result<(), GraphError> {
        if self.version != SCHEMA_VERSION {
            return Err(GraphError::Version {
                found: self.version,
                expected: SCHEMA_VERSION,
            });
        }
        let mut params: BTreeMap<&str, &[usize]> = BTreeMap::new();
        for p in &self.params {
            if p.name.is_empty() {
                return Err(GraphError::EmptyName { kind: "parameter" });
            }
            if element_count(&p.shape).is_none() {
                return Err(GraphError::ParamSize {
                    param: p.name.clone(),
                    shape: p.shape.clone(),
                });
            }
            if params.insert(&p.name, &p.shape).is_some() {
                return Err(GraphError::Duplicate {
                    kind: "parameter",
                    name: p.name.clone(),
                });
            }
        }
        let mut shapes: BTreeMap<&str, &[usize]> = BTreeMap::new();
        let mut used: BTreeSet<&str> = BTreeSet::new();
        for node in &self.nodes {
            if node.name.is_empty() {
                return Err(GraphError::EmptyName { kind: "node" });
            }
            if shapes.contains_key(node.name.as_str()) {
                return Err(GraphError::Duplicate {
                    kind: "node",
                    name: node.name.clone(),
                });
            }
            if element_count(&node.shape).is_none() {
                return Err(attr(
                    node,
                    "shape",
                    &node.shape,
                    "the element count must fit in 2^48",
                ));
            }
            if node.inputs.len() != node.op.arity() {
                return Err(GraphError::Arity {
                    node: node.name.clone(),
                    op: node.op.kind(),
                    expected: node.op.arity(),
                    actual: node.inputs.len(),
                });
            }
            let mut ins = Vec::with_capacity(node.inputs.len());
            for input in &node.inputs {
                let shape =
                    shapes
                        .get(input.as_str())
                        .ok_or_else(|| GraphError::UndefinedInput {
                            node: node.name.clone(),
                            input: input.clone(),
                        })?;
                ins.push(*shape);
            }
            let mut ps = Vec::new();
            for p in node.op.params() {
                let shape = params.get(p).ok_or_else(|| GraphError::UndefinedParam {
                    node: node.name.clone(),
                    param: p.to_owned(),
                })?;
                used.insert(p);
                ps.push((p, *shape));
            }
            let inferred = infer(node, &ins, &ps)?;
            if inferred != node.shape {
                return Err(GraphError::Shape {
                    node: node.name.clone(),
                    what: "declared output shape".into(),
                    expected: inferred,
                    actual: node.shape.clone(),
                });
            }
            shapes.insert(&node.name, &node.shape);
        }
        if let Some(p) = self.params.iter().find(|p| !used.contains(p.name.as_str())) {
            return Err(GraphError::UnusedParam {
                param: p.name.clone(),
            });
        }
        if self.inputs().next().is_none() {
            return Err(GraphError::Missing("input"));
        }
        if self.outputs().next().is_none() {
            return Err(GraphError::Missing("output"));
        }
        Ok(())
    }

    /// Refuses a node whose output reaches no `output` node: valid for the float
    /// reference, but dead hardware (an unconnected stream) in a generated system.
    ///
    /// # Errors
    /// [`GraphError::Dead`] naming the first such node.
    pub fn check_live(&self) -> Result<(), GraphError> {
        // Backwards from the outputs (nodes are in topological order).
        let mut live: BTreeSet<&str> = self.outputs().map(|n| n.name.as_str()).collect();
        for node in self.nodes.iter().rev() {
            if live.contains(node.name.as_str()) {
                live.extend(node.inputs.iter().map(String::as_str));
            }
        }
        if let Some(n) = self.nodes.iter().find(|n| !live.contains(n.name.as_str())) {
            return Err(GraphError::Dead {
                node: n.name.clone(),
            });
        }
        Ok(())
    }
}

/// Largest element count of one tensor (2^48, far beyond any FPGA model; it keeps
/// every size computation of later stages far from overflow).
pub const MAX_ELEMENTS: usize = 1 << 48;

/// The element count of `shape`, if it is at most [`MAX_ELEMENTS`].
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(*d))
        .filter(|n| *n <= MAX_ELEMENTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, op: Op, inputs: &[&str], shape: &[usize]) -> Node {
        Node {
            name: name.into(),
            op,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            shape: shape.to_vec(),
        }
    }

    fn mlp() -> Graph {
        Graph {
            version: SCHEMA_VERSION,
            name: "t".into(),
            params: vec![
                Param {
                    name: "w".into(),
                    shape: vec![3, 4],
                },
                Param {
                    name: "b".into(),
                    shape: vec![3],
                },
            ],
            nodes: vec![
                node("x", Op::Input, &[], &[2, 4]),
                node(
                    "fc",
                    Op::Linear {
                        weight: "w".into(),
                        bias: Some("b".into()),
                    },
                    &["x"],
                    &[2, 3],
                ),
                node("r", Op::Relu, &["fc"], &[2, 3]),
                node("y", Op::Output, &["r"], &[2, 3]),
            ],
        }
    }

    #[test]
    fn valid_mlp() {
        mlp().validate().unwrap();
    }

    #[test]
    fn errors_name_node_and_shapes() {
        let mut g = mlp();
        g.params[0].shape = vec![3, 5];
        let e = g.validate().unwrap_err().to_string();
        assert_eq!(
            e,
            "node `fc`: weight `w` shape [out, in]: expected [3, 4], got [3, 5]"
        );

        let mut g = mlp();
        g.nodes[2].shape = vec![2, 4];
        let e = g.validate().unwrap_err().to_string();
        assert_eq!(
            e,
            "node `r`: declared output shape: expected [2, 3], got [2, 4]"
        );

        let mut g = mlp();
        g.nodes.swap(1, 2);
        let e = g.validate().unwrap_err().to_string();
        assert!(
            e.contains("node `r`: input `fc` is not defined before use"),
            "{e}"
        );

        let mut g = mlp();
        g.nodes[2].name = "fc".into();
        assert!(matches!(
            g.validate(),
            Err(GraphError::Duplicate { kind: "node", .. })
        ));

        let mut g = mlp();
        g.params.push(Param {
            name: "unused".into(),
            shape: vec![1],
        });
        assert!(matches!(g.validate(), Err(GraphError::UnusedParam { .. })));

        let mut g = mlp();
        g.nodes[0].shape = vec![1 << 40, 1 << 40];
        let e = g.validate().unwrap_err().to_string();
        assert!(e.contains("element count must fit"), "{e}");

        let mut g = mlp();
        g.version = 99;
        assert!(matches!(
            g.validate(),
            Err(GraphError::Version { found: 99, .. })
        ));
    }

    #[test]
    fn matmul_and_heads() {
        let g = Graph {
            version: SCHEMA_VERSION,
            name: "att".into(),
            params: vec![],
            nodes: vec![
                node("x", Op::Input, &[], &[8, 64]),
                node("h", Op::SplitHeads { heads: 4 }, &["x"], &[4, 8, 16]),
                node(
                    "s",
                    Op::Matmul { transpose_b: true },
                    &["h", "h"],
                    &[4, 8, 8],
                ),
                node("p", Op::Softmax { scale: 0.25 }, &["s"], &[4, 8, 8]),
                node(
                    "c",
                    Op::Matmul { transpose_b: false },
                    &["p", "h"],
                    &[4, 8, 16],
                ),
                node("m", Op::MergeHeads, &["c"], &[8, 64]),
                node("y", Op::Output, &["m"], &[8, 64]),
            ],
        };
        g.validate().unwrap();
        let mut bad = g.clone();
        bad.nodes[4].op = Op::Matmul { transpose_b: true };
        let e = bad.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("node `c`: second input shape (inner dimension k)"),
            "{e}"
        );
        let mut bad = g;
        bad.nodes[1].op = Op::SplitHeads { heads: 5 };
        assert!(matches!(
            bad.validate(),
            Err(GraphError::Attribute { key: "heads", .. })
        ));
    }
}
