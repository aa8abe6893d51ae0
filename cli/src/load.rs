//! Reading what `gen` and `plan` start from: the model (mase-hw model JSON, a Hugging
//! Face `config.json` or its directory, with the checkpoint's weights found beside it)
//! and the quantization config.

use std::path::{Path, PathBuf};

use anyhow::Result;
use model::graph::Graph;
use model::quant::QuantConfig;

use crate::user;

/// A model and where its weights come from.
pub struct Loaded {
    pub graph: Graph,
    /// `model.safetensors` found beside a Hugging Face `config.json`.
    pub found_weights: Option<PathBuf>,
    /// The Hugging Face checkpoint (config before `--layers`, directory).
    pub checkpoint: Option<crate::calib::Checkpoint>,
}

/// Reads `path` as mase-hw model JSON, a Hugging Face `config.json`, or a directory
/// holding one.
///
/// # Errors
/// Unreadable or malformed files, unsupported configs, naming the file and field.
pub fn load_model(path: &Path, seq_len: usize, layers: Option<usize>) -> Result<Loaded> {
    let (config, dir) = if path.is_dir() {
        (path.join("config.json"), Some(path.to_path_buf()))
    } else {
        (path.to_path_buf(), None)
    };
    let text =
        std::fs::read_to_string(&config).map_err(|e| user(format!("{}: {e}", config.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| user(format!("{}: invalid JSON: {e}", config.display())))?;
    if value.get("model_type").is_none() && dir.is_none() {
        if layers.is_some() {
            return Err(user("--layers: only for Hugging Face models"));
        }
        let graph = model::json::from_json(&text)
            .map_err(|e| user(format!("{}: {e}", config.display())))?;
        return Ok(Loaded {
            graph,
            found_weights: None,
            checkpoint: None,
        });
    }
    let full = model::hf::BertConfig::from_json(&text)
        .map_err(|e| user(format!("{}: {e}", config.display())))?;
    let mut cfg = full.clone();
    if let Some(n) = layers {
        cfg.truncate(n)
            .map_err(|e| user(format!("--layers: {e}")))?;
    }
    let stem = dir
        .as_deref()
        .unwrap_or_else(|| config.parent().unwrap_or(Path::new(".")))
        .file_name()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty() && *s != ".")
        .unwrap_or("bert")
        .to_string();
    let graph = model::hf::expand(&cfg, seq_len, &stem)
        .map_err(|e| user(format!("{}: {e}", config.display())))?;
    let found_weights = config
        .parent()
        .map(|d| d.join("model.safetensors"))
        .filter(|p| p.is_file());
    let checkpoint = Some(crate::calib::Checkpoint {
        dir: config.parent().unwrap_or(Path::new(".")).to_path_buf(),
        cfg: full,
    });
    Ok(Loaded {
        graph,
        found_weights,
        checkpoint,
    })
}

/// The quantization config at `path` (TOML), or the default.
pub fn read_config(path: Option<&Path>) -> Result<QuantConfig> {
    Ok(match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| user(format!("{}: {e}", p.display())))?;
            QuantConfig::from_toml(&text).map_err(|e| user(format!("{}: {e}", p.display())))?
        }
        None => QuantConfig::default(),
    })
}
