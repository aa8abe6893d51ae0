//! Text → encoder inputs on the host: a Hugging Face checkpoint's own `tokenizer.json`
//! (through the `tokenizers` crate, no network access) and its embedding (word +
//! position + token-type embeddings, then LayerNorm, read from the same
//! `model.safetensors`), giving the `hidden_states [seq_len, H]` the encoder graph
//! ([`crate::hf`]) starts from.
//!
//! Padding and truncation: a sentence is tokenized with the tokenizer's special tokens
//! (`[CLS] … [SEP]` for BERT), truncated to `seq_len` tokens by the tokenizer (the
//! special tokens are kept, words are cut at the end) and padded on the right with the
//! padding token to exactly `seq_len`. The encoder graph has no attention mask, so
//! padding positions take part in attention, in the float reference exactly as in the
//! hardware: the figures compare like with like, but they equal a masked Hugging Face
//! run only for sentences that fill `seq_len`. [`Encoded::tokens`] counts the real
//! tokens, for mean pooling over them.
//!
//! Token types are all 0 (single sentences). Positions are `0..seq_len` for BERT and,
//! for RoBERTa, `pad + 1 + i` for real tokens and `pad` for padding (as Hugging Face
//! numbers them). This module computes in `f64` from the `f32` tables; it is not part
//! of the hardware.

use std::path::Path;

use thiserror::Error;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::hf::BertConfig;
use crate::tensor::Tensor;
use crate::weights::{WeightsError, read_named};

/// Why text could not be turned into encoder inputs.
#[derive(Debug, Error)]
pub enum TextError {
    /// `tokenizer.json` is missing or unreadable, or tokenizing failed.
    #[error("tokenizer `{path}`: {why}")]
    Tokenizer {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
    /// The embedding tables could not be read.
    #[error("embedding: {0}")]
    Weights(#[from] WeightsError),
    /// A table has the wrong shape, or a token id is out of range.
    #[error("embedding: {what}")]
    Shape {
        /// The rule broken.
        what: String,
    },
}

/// One tokenized, padded sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    /// Token ids, exactly `seq_len` of them.
    pub ids: Vec<u32>,
    /// How many leading ids are real tokens (the rest is padding).
    pub tokens: usize,
}

/// A checkpoint's tokenizer and embedding.
pub struct Embedder {
    tokenizer: Tokenizer,
    path: String,
    word: Tensor<f32>,
    position: Tensor<f32>,
    token_type: Option<Tensor<f32>>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f64,
    hidden: usize,
    roberta_pad: Option<usize>,
}

const NAMES: [&str; 4] = [
    "embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight",
    "embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias",
];
const TOKEN_TYPE: &str = "embeddings.token_type_embeddings.weight";

impl Embedder {
    /// Reads `dir/tokenizer.json` and the embedding tables of `dir/model.safetensors`
    /// for the model `cfg` describes.
    ///
    /// # Errors
    /// [`TextError`] naming the file or table.
    pub fn load(dir: &Path, cfg: &BertConfig) -> Result<Embedder, TextError> {
        let tpath = dir.join("tokenizer.json");
        let path = tpath.display().to_string();
        let tokenizer = Tokenizer::from_file(&tpath).map_err(|e| TextError::Tokenizer {
            path: path.clone(),
            why: e.to_string(),
        })?;
        let weights = dir.join("model.safetensors");
        let mut t = read_named(&weights, &NAMES)?;
        let token_type = read_named(&weights, &[TOKEN_TYPE])
            .ok()
            .and_then(|mut m| m.remove(TOKEN_TYPE));
        let mut take = |n: &str| t.remove(n).unwrap_or_else(|| Tensor::zeros(&[0, 0]));
        let (word, position) = (take(NAMES[0]), take(NAMES[1]));
        let (gamma, beta) = (take(NAMES[2]).data, take(NAMES[3]).data);
        let h = cfg.hidden_size;
        let bad = |what: String| TextError::Shape { what };
        for (name, t) in [(NAMES[0], &word), (NAMES[1], &position)]
            .into_iter()
            .chain(token_type.as_ref().map(|t| (TOKEN_TYPE, t)))
        {
            if t.shape.len() != 2 || t.shape[1] != h || t.shape[0] == 0 {
                return Err(bad(format!(
                    "`{name}` has shape {:?}, expected [n, {h}]",
                    t.shape
                )));
            }
        }
        if gamma.len() != h || beta.len() != h {
            return Err(bad(format!("LayerNorm γ/β must hold {h} values")));
        }
        let roberta_pad = (cfg.model_type == "roberta").then(|| cfg.pad_token_id.unwrap_or(1));
        Ok(Embedder {
            tokenizer,
            path,
            word,
            position,
            token_type,
            gamma,
            beta,
            eps: cfg.layer_norm_eps,
            hidden: h,
            roberta_pad,
        })
    }

    /// Tokenizes `text` to exactly `seq_len` ids (module doc: truncation, padding).
    ///
    /// # Errors
    /// [`TextError::Tokenizer`].
    pub fn encode(&self, text: &str, seq_len: usize) -> Result<Encoded, TextError> {
        let err = |why: String| TextError::Tokenizer {
            path: self.path.clone(),
            why,
        };
        let mut tok = self.tokenizer.clone();
        let pad = tok.get_padding().cloned().unwrap_or_else(|| PaddingParams {
            pad_id: tok.token_to_id("[PAD]").unwrap_or(0),
            ..PaddingParams::default()
        });
        tok.with_truncation(Some(TruncationParams {
            max_length: seq_len,
            ..TruncationParams::default()
        }))
        .map_err(|e| err(e.to_string()))?;
        tok.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(seq_len),
            ..pad
        }));
        let enc = tok.encode(text, true).map_err(|e| err(e.to_string()))?;
        let ids = enc.get_ids().to_vec();
        let tokens = enc.get_attention_mask().iter().filter(|m| **m != 0).count();
        if ids.len() != seq_len {
            return Err(err(format!(
                "gave {} ids for a sequence of {seq_len}",
                ids.len()
            )));
        }
        Ok(Encoded { ids, tokens })
    }

    /// The embedding of `ids`: `[ids.len(), H]` row-major, LayerNorm applied.
    ///
    /// # Errors
    /// [`TextError::Shape`] for an id or position beyond its table.
    pub fn embed(&self, enc: &Encoded) -> Result<Vec<f64>, TextError> {
        let h = self.hidden;
        fn row<'t>(
            t: &'t Tensor<f32>,
            h: usize,
            i: usize,
            what: &str,
        ) -> Result<&'t [f32], TextError> {
            if i >= t.shape[0] {
                return Err(TextError::Shape {
                    what: format!("{what} {i} is beyond the table's {} rows", t.shape[0]),
                });
            }
            Ok(&t.data[i * h..(i + 1) * h])
        }
        let mut out = Vec::with_capacity(enc.ids.len() * h);
        let mut v = vec![0f64; h];
        for (i, id) in enc.ids.iter().enumerate() {
            let pos = match self.roberta_pad {
                Some(pad) if i >= enc.tokens => pad,
                Some(pad) => pad + 1 + i,
                None => i,
            };
            let w = row(&self.word, h, *id as usize, "token id")?;
            let p = row(&self.position, h, pos, "position")?;
            let tt = match &self.token_type {
                Some(t) => Some(row(t, h, 0, "token type")?),
                None => None,
            };
            for (k, vk) in v.iter_mut().enumerate() {
                *vk = f64::from(w[k]) + f64::from(p[k]) + tt.map_or(0.0, |t| f64::from(t[k]));
            }
            let mean = v.iter().sum::<f64>() / h as f64;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / h as f64;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((x, g), b) in v.iter().zip(&self.gamma).zip(&self.beta) {
                out.push((x - mean) * inv * f64::from(*g) + f64::from(*b));
            }
        }
        Ok(out)
    }

    /// [`Embedder::encode`] then [`Embedder::embed`].
    ///
    /// # Errors
    /// As those.
    pub fn inputs(&self, text: &str, seq_len: usize) -> Result<(Encoded, Vec<f64>), TextError> {
        let enc = self.encode(text, seq_len)?;
        let x = self.embed(&enc)?;
        Ok((enc, x))
    }
}

/// Mean over the first `tokens` rows of `x [rows, h]` (sentence-embedding pooling).
pub fn mean_pool(x: &[f64], h: usize, tokens: usize) -> Vec<f64> {
    let n = tokens.min(x.len() / h.max(1)).max(1);
    let mut m = vec![0.0; h];
    for r in 0..n {
        for k in 0..h {
            m[k] += x[r * h + k];
        }
    }
    m.iter_mut().for_each(|v| *v /= n as f64);
    m
}

/// The lines of a text file that are not blank (one sentence per line).
pub fn sentences(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}
