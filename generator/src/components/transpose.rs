//! Descriptor of `transpose` (`mh_transpose`): swaps the two outer axes of a stream of
//! `[A, B, C]` tensors (`[N, A, B, C]` → `[N, B, A, C]`) through a double-buffered block
//! RAM, one tensor written while the previous one is read, II 1 in and out. BERT's
//! `split_heads` is `(A, B, C) = (seq, heads, head_dim)`, `merge_heads` is
//! `(heads, seq, head_dim)`. Lanes are raw bits: a data mover has no float error.

use std::collections::BTreeMap;

use golden::Format;

use super::common::{PARALLELISM, WIDTH, bits_format, divides, rule, sv_int_params};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap, require};

pub struct Transpose;

/// Most elements one tensor may have (the buffer holds two).
pub const MAX_ELEMENTS: u64 = 1 << 22;

const PARAMS: &[ParamSpec] = &[
    WIDTH,
    PARALLELISM,
    ParamSpec::int("A_SIZE", 1, 1 << 22, 4, "input outer axis (elements)"),
    ParamSpec::int("B_SIZE", 1, 1 << 22, 3, "input middle axis (elements)"),
    ParamSpec::int(
        "C_SIZE",
        1,
        1 << 22,
        8,
        "innermost axis (elements, multiple of PARALLELISM)",
    ),
];

impl Component for Transpose {
    fn name(&self) -> &'static str {
        "transpose"
    }
    fn summary(&self) -> &'static str {
        "swap the outer axes of [A,B,C] tensors (split/merge heads), double-buffered block RAM, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let n = self.name();
        divides(n, p, "PARALLELISM", "C_SIZE")?;
        let (a, b, c) = (
            p.get_usize("A_SIZE"),
            p.get_usize("B_SIZE"),
            p.get_usize("C_SIZE"),
        );
        let elements = (a as u128) * (b as u128) * (c as u128);
        if elements > u128::from(MAX_ELEMENTS) {
            return Err(rule(
                n,
                "C_SIZE",
                p,
                format!(
                    "A_SIZE*B_SIZE*C_SIZE = {elements} elements exceeds the {MAX_ELEMENTS}-element tensor cap"
                ),
            ));
        }
        Ok(Box::new(TransposeInstance {
            params: p.clone(),
            format: bits_format(p),
            lanes: p.get_usize("PARALLELISM"),
            a,
            b,
            c,
        }))
    }

    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            // A = 1: the identity permutation, 1-bit lanes, parallelism 1.
            vec![
                ("A_SIZE", 1),
                ("B_SIZE", 5),
                ("C_SIZE", 3),
                ("WIDTH", 1),
                ("PARALLELISM", 1),
            ],
            // B = 1 (identity) with C = P: one beat per row.
            vec![
                ("A_SIZE", 4),
                ("B_SIZE", 1),
                ("C_SIZE", 4),
                ("PARALLELISM", 4),
            ],
            // T = 1: one beat per tensor, widest lanes.
            vec![
                ("A_SIZE", 1),
                ("B_SIZE", 1),
                ("C_SIZE", 2),
                ("PARALLELISM", 2),
                ("WIDTH", 64),
            ],
            // Non-powers of two, odd width.
            vec![
                ("A_SIZE", 3),
                ("B_SIZE", 5),
                ("C_SIZE", 6),
                ("PARALLELISM", 2),
                ("WIDTH", 7),
            ],
            // Parallelism 1, odd sizes.
            vec![
                ("A_SIZE", 2),
                ("B_SIZE", 3),
                ("C_SIZE", 5),
                ("PARALLELISM", 1),
                ("WIDTH", 13),
            ],
            // BERT-like split_heads: seq 8, 4 heads, head_dim 16.
            vec![
                ("A_SIZE", 8),
                ("B_SIZE", 4),
                ("C_SIZE", 16),
                ("PARALLELISM", 4),
            ],
            // Wide beats, C = P = 16.
            vec![
                ("A_SIZE", 5),
                ("B_SIZE", 3),
                ("C_SIZE", 16),
                ("PARALLELISM", 16),
            ],
        ]
    }

    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let lanes = rng.range(1, 8);
        vec![
            ("WIDTH", rng.range(1, 40)),
            ("PARALLELISM", lanes),
            ("A_SIZE", rng.range(1, 7)),
            ("B_SIZE", rng.range(1, 7)),
            ("C_SIZE", lanes * rng.range(1, 4)),
        ]
    }
}

struct TransposeInstance {
    params: Params,
    format: Format,
    lanes: usize,
    a: usize,
    b: usize,
    c: usize,
}

impl TransposeInstance {
    /// Beats per tensor (one bank of the buffer).
    fn tensor_beats(&self) -> u64 {
        (self.a * self.b * (self.c / self.lanes)) as u64
    }
}

impl Instance for TransposeInstance {
    fn component(&self) -> &'static dyn Component {
        &Transpose
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_transpose"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_transpose"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        sv_int_params(
            &self.params,
            ["WIDTH", "PARALLELISM", "A_SIZE", "B_SIZE", "C_SIZE"],
        )
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("data_in", Dir::Input, self.lanes, self.format, "data_in"),
            StreamDef::new("data_out", Dir::Output, self.lanes, self.format, "data_out"),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let (a, b, c) = (Dim::Fixed(self.a), Dim::Fixed(self.b), Dim::Fixed(self.c));
        vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: vec![Dim::Batch, a, b, c],
                format: self.format,
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: vec![Dim::Batch, b, a, c],
                format: self.format,
            },
        ]
    }
    fn behaviour(&self) -> Behaviour {
        // A tensor is written whole into one bank before it is read out transposed.
        Behaviour::new(
            true,
            &[(
                "data_in",
                FirstOutput::Tensor {
                    beats: self.tensor_beats() as usize,
                },
            )],
        )
    }
    fn timing(&self) -> Timing {
        // The last beat of a tensor is written on edge T-1, its bank read on edge T,
        // and the first output beat taken on edge T+1.
        Timing {
            latency: self.tensor_beats() + 1,
            initiation_interval: 1,
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let t = self.tensor_beats();
        let beat_bits = self.lanes as u64 * u64::from(self.format.width());
        BTreeMap::from([
            ("buffer_beats".to_string(), 2 * t),
            ("buffer_bits".to_string(), 2 * t * beat_bits),
            ("output_register_bits".to_string(), beat_bits),
            ("multipliers".to_string(), 0),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let n = "transpose";
        let x = require(inputs, n, "data_in", "input tensors")?;
        let raw =
            golden::transpose::swap_outer(&x.raw, self.a, self.b, self.c).ok_or_else(|| {
                GenError::bad_tensor(
                    n,
                    "data_in",
                    format!(
                        "{} elements are not a whole number of [{}, {}, {}] tensors",
                        x.raw.len(),
                        self.a,
                        self.b,
                        self.c
                    ),
                )
            })?;
        let count = x.raw.len() / (self.a * self.b * self.c);
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![count, self.b, self.a, self.c], raw, self.format),
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(overrides: &[(&str, i64)]) -> String {
        match Transpose.configure(overrides) {
            Ok(_) => panic!("{overrides:?} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn impossible_parameters_are_one_line_errors() {
        assert_eq!(
            err(&[("C_SIZE", 6), ("PARALLELISM", 4)]),
            "transpose: parameter PARALLELISM=4: must divide C_SIZE=6"
        );
        assert_eq!(
            err(&[("A_SIZE", 1024), ("B_SIZE", 1024), ("C_SIZE", 8)]),
            "transpose: parameter C_SIZE=8: A_SIZE*B_SIZE*C_SIZE = 8388608 elements exceeds the 4194304-element tensor cap"
        );
    }

    #[test]
    fn timing_and_resources_follow_the_tensor_size() {
        let i = Transpose
            .configure(&[
                ("A_SIZE", 8),
                ("B_SIZE", 4),
                ("C_SIZE", 16),
                ("PARALLELISM", 4),
            ])
            .unwrap();
        // T = 8*4*16/4 = 128 beats.
        assert_eq!(i.timing().latency, 129);
        assert_eq!(i.timing().initiation_interval, 1);
        assert_eq!(i.resources()["buffer_bits"], 2 * 128 * 4 * 16);
    }

    #[test]
    fn golden_output_beats_are_in_b_a_c_order() {
        let i = Transpose
            .configure(&[
                ("A_SIZE", 2),
                ("B_SIZE", 3),
                ("C_SIZE", 2),
                ("PARALLELISM", 2),
            ])
            .unwrap();
        let f = Format::unsigned(16, 0).unwrap();
        let x = Tensor::new(vec![1, 2, 3, 2], (0..12).collect(), f);
        let out = i
            .golden(&TensorMap::from([("data_in".to_string(), x)]))
            .unwrap();
        let y = &out["data_out"];
        assert_eq!(y.shape, vec![1, 3, 2, 2]);
        assert_eq!(y.raw, vec![0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]);
    }
}
