//! Errors of system generation: each names the model node (and the config key or the
//! other node) involved, so the CLI can print one line.

use generator::GenError;

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("node `{node}`: op `{op}` is not supported by the system generator yet")]
    Unsupported { node: String, op: String },
    #[error("the model must have exactly one input and one output node ({what})")]
    Ports { what: String },
    #[error(
        "node `{producer}` produces {producer_lanes} lanes but node `{consumer}` consumes {consumer_lanes}, and no lane-width converter can join them (both lane counts must divide the row): change the parallelism of one of them"
    )]
    Lanes {
        producer: String,
        producer_lanes: usize,
        consumer: String,
        consumer_lanes: usize,
    },
    #[error("node `{node}`: {key}: {rule}")]
    Node {
        node: String,
        key: String,
        rule: String,
    },
    #[error("node `{node}`: {source}")]
    Component { node: String, source: Box<GenError> },
    #[error(transparent)]
    Gen(Box<GenError>),
    #[error(transparent)]
    Quant(#[from] model::quant::QuantError),
    #[error("float reference (calibration): {0}")]
    Float(#[from] model::float::FloatError),
    #[error("{dir}: {what}")]
    Dir { dir: String, what: String },
    #[error("model `{model}`: {rule}")]
    Model { model: String, rule: String },
    #[error("board `{board}`: {rule}")]
    Board { board: String, rule: String },
}

impl From<GenError> for SystemError {
    fn from(e: GenError) -> Self {
        SystemError::Gen(Box::new(e))
    }
}

impl SystemError {
    pub fn node(node: &str, key: &str, rule: impl Into<String>) -> Self {
        SystemError::Node {
            node: node.to_string(),
            key: key.to_string(),
            rule: rule.into(),
        }
    }
}

/// A real number for a message: plain for moderate magnitudes, scientific beyond (so
/// 1e308 is not printed as 309 digits).
pub fn real(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}
