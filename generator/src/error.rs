//! Errors of the generator: every variant names the offending parameter, tensor or
//! file together with the value and the rule it broke, so the CLI can print one line.

use golden::FixedError;

/// Everything that can go wrong between user parameters and emitted files.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("unknown component `{name}` (known: {known})")]
    UnknownComponent { name: String, known: String },
    #[error("{component}: unknown parameter `{param}` (known: {known})")]
    UnknownParam {
        component: String,
        param: String,
        known: String,
    },
    #[error("{component}: parameter {param}={value}: {rule}")]
    BadParam {
        component: String,
        param: String,
        value: String,
        rule: String,
    },
    #[error("{component}: `{text}`: parameters are written KEY=VALUE")]
    ParamSyntax { component: String, text: String },
    #[error("{component}: missing tensor `{tensor}` ({what})")]
    MissingTensor {
        component: String,
        tensor: String,
        what: String,
    },
    #[error("{component}: tensor `{tensor}`: {rule}")]
    BadTensor {
        component: String,
        tensor: String,
        rule: String,
    },
    #[error("{component}: {source}")]
    Fixed {
        component: String,
        source: FixedError,
    },
    #[error("output directory {path}: {rule}")]
    OutputDir { path: String, rule: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl GenError {
    /// Shorthand for [`GenError::BadParam`].
    pub fn bad_param(
        component: &str,
        param: &str,
        value: impl ToString,
        rule: impl Into<String>,
    ) -> Self {
        GenError::BadParam {
            component: component.to_string(),
            param: param.to_string(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }

    /// Shorthand for [`GenError::BadTensor`].
    pub fn bad_tensor(component: &str, tensor: &str, rule: impl Into<String>) -> Self {
        GenError::BadTensor {
            component: component.to_string(),
            tensor: tensor.to_string(),
            rule: rule.into(),
        }
    }
}
