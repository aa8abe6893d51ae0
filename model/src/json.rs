//! mase-hw's own model JSON (`bert.json`): the [`Graph`] IR written with serde, as
//! specified in `docs/model-json.md`.
//!
//! Reading parses and then validates ([`Graph::validate`]), so a graph that comes out
//! of [`from_json`] is always well formed; writing is deterministic (pretty-printed,
//! fields in declaration order, a trailing newline), so a graph written twice gives the
//! same bytes. This module does no file-system work beyond [`load`]; it does not read
//! weights or configurations.

use std::path::Path;

use thiserror::Error;

use crate::graph::{Graph, GraphError};

/// Why a model JSON could not be read.
#[derive(Debug, Error)]
pub enum JsonError {
    /// The file could not be read.
    #[error("cannot read model file `{path}`: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The text is not a model JSON (serde names the field, line and column).
    #[error("model JSON: {0}")]
    Parse(#[from] serde_json::Error),
    /// A node has a field its op does not take.
    #[error("model JSON: node {node}: unknown field `{field}` for op `{op}`")]
    Field {
        /// Index and name of the node.
        node: String,
        /// The unknown field.
        field: String,
        /// The node's op.
        op: String,
    },
    /// The JSON parsed but the graph is not valid.
    #[error("model JSON: {0}")]
    Graph(#[from] GraphError),
}

/// Parses and validates a model JSON document.
///
/// # Errors
/// [`JsonError::Parse`] for malformed JSON, unknown ops or missing fields;
/// [`JsonError::Graph`] if the graph is not valid.
pub fn from_json(text: &str) -> Result<Graph, JsonError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    check_node_fields(&value)?;
    let graph: Graph = serde_json::from_value(value)?;
    graph.validate()?;
    Ok(graph)
}

/// Refuses a node field the node's op does not have (serde cannot, as a node's op
/// attributes are flattened into it).
fn check_node_fields(v: &serde_json::Value) -> Result<(), JsonError> {
    let Some(nodes) = v.get("nodes").and_then(|n| n.as_array()) else {
        return Ok(());
    };
    for (i, n) in nodes.iter().enumerate() {
        let Some(obj) = n.as_object() else { continue };
        let op = obj.get("op").and_then(|o| o.as_str()).unwrap_or("");
        let attrs: &[&str] = match op {
            "linear" => &["weight", "bias"],
            "matmul" => &["transpose_b"],
            "softmax" => &["scale"],
            "layernorm" => &["eps", "gamma", "beta"],
            "split_heads" => &["heads"],
            _ => &[],
        };
        if let Some(k) = obj.keys().find(|k| {
            !["name", "op", "inputs", "shape"].contains(&k.as_str()) && !attrs.contains(&k.as_str())
        }) {
            let name = obj.get("name").and_then(|s| s.as_str()).unwrap_or("?");
            return Err(JsonError::Field {
                node: format!("{i} (`{name}`)"),
                field: k.clone(),
                op: op.to_string(),
            });
        }
    }
    Ok(())
}

/// Reads, parses and validates the model JSON at `path`.
///
/// # Errors
/// As [`from_json`], plus [`JsonError::Io`].
pub fn load(path: &Path) -> Result<Graph, JsonError> {
    let text = std::fs::read_to_string(path).map_err(|source| JsonError::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_json(&text)
}

/// Writes `graph` as model JSON: the top-level object pretty-printed, each parameter
/// and node on one line, and a trailing newline. Deterministic: the same graph always
/// gives the same bytes.
pub fn to_json(graph: &Graph) -> String {
    // Serialising plain structs, strings, integers and finite floats cannot fail.
    let one = |v: &dyn erased::Ser| v.line();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "[]".to_owned()
        } else {
            format!("[\n    {}\n  ]", items.join(",\n    "))
        }
    };
    format!(
        "{{\n  \"version\": {},\n  \"name\": {},\n  \"params\": {},\n  \"nodes\": {}\n}}\n",
        graph.version,
        one(&graph.name),
        list(graph.params.iter().map(|p| one(p)).collect()),
        list(graph.nodes.iter().map(|n| one(n)).collect()),
    )
}

mod erased {
    use std::io;

    /// One-line JSON of a serialisable value, with a space after `:` and `,`.
    pub trait Ser {
        fn line(&self) -> String;
    }

    impl<T: serde::Serialize> Ser for T {
        fn line(&self) -> String {
            let mut out = Vec::new();
            let mut ser = serde_json::Serializer::with_formatter(&mut out, Spaced);
            if self.serialize(&mut ser).is_err() {
                return String::new();
            }
            String::from_utf8(out).unwrap_or_default()
        }
    }

    /// serde_json's compact formatter plus single spaces after separators.
    struct Spaced;

    impl serde_json::ser::Formatter for Spaced {
        fn begin_array_value<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            if first { Ok(()) } else { w.write_all(b", ") }
        }

        fn begin_object_key<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            if first { Ok(()) } else { w.write_all(b", ") }
        }

        fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            w.write_all(b": ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{
  "version": 1,
  "name": "small",
  "params": [
    { "name": "w", "shape": [3, 4] }
  ],
  "nodes": [
    { "name": "x", "op": "input", "shape": [2, 4] },
    { "name": "fc", "op": "linear", "weight": "w", "inputs": ["x"], "shape": [2, 3] },
    { "name": "p", "op": "softmax", "scale": 0.5, "inputs": ["fc"], "shape": [2, 3] },
    { "name": "y", "op": "output", "inputs": ["p"], "shape": [2, 3] }
  ]
}"#;

    #[test]
    fn one_line_per_node() {
        let g = from_json(SMALL).unwrap();
        let text = to_json(&g);
        assert!(text.contains("\n    {\"name\": \"fc\", \"op\": \"linear\", \"weight\": \"w\", \"inputs\": [\"x\"], \"shape\": [2, 3]},\n"), "{text}");
        let mut odd = g.clone();
        odd.name = "a\": ,\"b".into();
        assert_eq!(from_json(&to_json(&odd)).unwrap(), odd);
    }

    #[test]
    fn round_trip() {
        let g = from_json(SMALL).unwrap();
        assert_eq!(g.nodes.len(), 4);
        let text = to_json(&g);
        assert_eq!(from_json(&text).unwrap(), g);
        assert_eq!(to_json(&from_json(&text).unwrap()), text);
    }

    #[test]
    fn errors() {
        let e = from_json(&SMALL.replace("\"softmax\"", "\"softmux\"")).unwrap_err();
        assert!(e.to_string().contains("softmux"), "{e}");
        let e = from_json(&SMALL.replace(
            "[2, 3] },\n    { \"name\": \"p\"",
            "[2, 5] },\n    { \"name\": \"p\"",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "model JSON: node `fc`: declared output shape: expected [2, 3], got [2, 5]"
        );
        let e = from_json(&SMALL.replace("\"version\": 1", "\"version\": 2")).unwrap_err();
        assert!(e.to_string().contains("version 2 is not supported"), "{e}");
    }
}
