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
    let graph: Graph = serde_json::from_str(text)?;
    graph.validate()?;
    Ok(graph)
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

/// Writes `graph` as pretty-printed model JSON with a trailing newline.
pub fn to_json(graph: &Graph) -> String {
    // Serialising plain structs, strings, integers and finite floats cannot fail.
    let mut s = serde_json::to_string_pretty(graph).unwrap_or_default();
    s.push('\n');
    s
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
