//! Descriptor of `matmul` (`mh_matmul`): activation × activation product `C = A·B` per
//! head, both operands streamed, `B` buffered whole per head (ping-pong) and optionally
//! given transposed (`TRANSPOSE_B`, for `Q·Kᵀ`), exact products and sums, one output
//! cast, parallel along `K_SIZE` and `N_SIZE`.

use std::collections::BTreeMap;

use golden::matmul::{MatmulFormats, MatmulShape};
use golden::{Format, Overflow, Rounding};

use super::common::{clog2, divides, format_of, rule};
use crate::component::{
    AccuracyBound, Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap, require};

pub struct Matmul;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("A_WIDTH", 1, 64, 8, "a lane width (bits, signed)"),
    ParamSpec::int("A_FRAC_WIDTH", -64, 128, 4, "a fractional bits"),
    ParamSpec::int("B_WIDTH", 1, 64, 8, "b lane width (bits, signed)"),
    ParamSpec::int("B_FRAC_WIDTH", -64, 128, 4, "b fractional bits"),
    ParamSpec::int("OUT_WIDTH", 1, 64, 8, "data_out lane width (bits, signed)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -64, 128, 4, "data_out fractional bits"),
    ParamSpec::rounding("ROUNDING", "output rounding mode"),
    ParamSpec::overflow("OVERFLOW", "output overflow mode"),
    ParamSpec::int("M_SIZE", 1, 65536, 4, "rows of A and C per head"),
    ParamSpec::int("K_SIZE", 1, 65536, 8, "columns of A, rows of B"),
    ParamSpec::int("N_SIZE", 1, 65536, 4, "columns of B and C"),
    ParamSpec::int(
        "K_PARALLELISM",
        1,
        256,
        4,
        "products summed per cycle per output (divides K_SIZE)",
    ),
    ParamSpec::int(
        "N_PARALLELISM",
        1,
        256,
        2,
        "data_out lanes (divides N_SIZE)",
    ),
    ParamSpec::bool(
        "TRANSPOSE_B",
        false,
        "b carries B^T [N_SIZE, K_SIZE] (K of Q*K^T as it streams)",
    ),
    ParamSpec::int(
        "HEADS",
        1,
        4096,
        2,
        "heads per batch item (tensor shape only; heads stream back to back)",
    ),
];

/// Parameters the descriptor keeps to itself (they only shape the tensors).
const DESCRIPTOR_ONLY: &[&str] = &["HEADS"];

/// Most multipliers one instance may have.
const MAX_MULTIPLIERS: usize = 4096;
/// Most elements of one head's B (the ping-pong buffer holds two).
const MAX_B_ELEMENTS: usize = 1 << 20;

impl Component for Matmul {
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn summary(&self) -> &'static str {
        "C = A*B per head, both streamed, B buffered (ping-pong, optionally given as B^T), exact MACs, one output cast"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let n = self.name();
        let (k, nn) = (p.get_usize("K_SIZE"), p.get_usize("N_SIZE"));
        let (pk, pn) = (p.get_usize("K_PARALLELISM"), p.get_usize("N_PARALLELISM"));
        divides(n, p, "K_PARALLELISM", "K_SIZE")?;
        divides(n, p, "N_PARALLELISM", "N_SIZE")?;
        if pk * pn > MAX_MULTIPLIERS {
            return Err(rule(
                n,
                "N_PARALLELISM",
                p,
                format!(
                    "K_PARALLELISM*N_PARALLELISM = {} exceeds {MAX_MULTIPLIERS} multipliers",
                    pk * pn
                ),
            ));
        }
        if k * nn > MAX_B_ELEMENTS {
            return Err(rule(
                n,
                "N_SIZE",
                p,
                format!(
                    "K_SIZE*N_SIZE = {} exceeds the {MAX_B_ELEMENTS} elements one B buffer half may hold",
                    k * nn
                ),
            ));
        }
        let formats = MatmulFormats {
            a: format_of(n, p, "A")?,
            b: format_of(n, p, "B")?,
            output: format_of(n, p, "OUT")?,
            rounding: p.rounding("ROUNDING"),
            overflow: p.overflow("OVERFLOW"),
        };
        let acc = golden::matmul::accumulator_format(&formats, k)
            .map_err(|e| rule(n, "A_WIDTH", p, format!("with B_WIDTH and K_SIZE: {e}")))?;
        Ok(Box::new(MatmulInstance {
            params: p.clone(),
            formats,
            acc,
            heads: p.get_usize("HEADS"),
            m: p.get_usize("M_SIZE"),
            k,
            n: nn,
            pk,
            pn,
            transpose_b: p.get_bool("TRANSPOSE_B"),
        }))
    }

    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![("TRANSPOSE_B", 1)],
            // Parallelism 1, odd sizes, B^T.
            vec![
                ("M_SIZE", 3),
                ("K_SIZE", 5),
                ("N_SIZE", 3),
                ("K_PARALLELISM", 1),
                ("N_PARALLELISM", 1),
                ("TRANSPOSE_B", 1),
                ("HEADS", 3),
            ],
            // Parallelism = size, one row per head: loading B is the bottleneck.
            vec![
                ("M_SIZE", 1),
                ("K_SIZE", 4),
                ("N_SIZE", 4),
                ("K_PARALLELISM", 4),
                ("N_PARALLELISM", 4),
            ],
            // Non-power-of-two everything, odd widths, RND_CONV + SAT_SYM.
            vec![
                ("M_SIZE", 5),
                ("K_SIZE", 12),
                ("K_PARALLELISM", 3),
                ("N_SIZE", 10),
                ("N_PARALLELISM", 5),
                ("A_WIDTH", 7),
                ("A_FRAC_WIDTH", 0),
                ("B_WIDTH", 13),
                ("B_FRAC_WIDTH", 6),
                ("OUT_WIDTH", 13),
                ("OUT_FRAC_WIDTH", 3),
                ("ROUNDING", 6),
                ("OVERFLOW", 3),
                ("TRANSPOSE_B", 1),
            ],
            // K = 1 (no sum), N fully parallel, truncation.
            vec![
                ("M_SIZE", 2),
                ("K_SIZE", 1),
                ("K_PARALLELISM", 1),
                ("N_SIZE", 6),
                ("N_PARALLELISM", 3),
                ("ROUNDING", 0),
            ],
            // Attention-like 16-bit scores Q*K^T.
            vec![
                ("A_WIDTH", 16),
                ("A_FRAC_WIDTH", 8),
                ("B_WIDTH", 16),
                ("B_FRAC_WIDTH", 8),
                ("OUT_WIDTH", 16),
                ("OUT_FRAC_WIDTH", 8),
                ("M_SIZE", 8),
                ("K_SIZE", 16),
                ("K_PARALLELISM", 8),
                ("N_SIZE", 8),
                ("N_PARALLELISM", 4),
                ("TRANSPOSE_B", 1),
            ],
            // One-bit everything, wrapping.
            vec![
                ("A_WIDTH", 1),
                ("A_FRAC_WIDTH", 0),
                ("B_WIDTH", 1),
                ("B_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 1),
                ("OUT_FRAC_WIDTH", 0),
                ("OVERFLOW", 0),
                ("HEADS", 1),
            ],
        ]
    }

    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let divisor = |rng: &mut Rng, n: i64| {
            let d: Vec<i64> = (1..=n).filter(|d| n % d == 0).collect();
            rng.pick(&d)
        };
        let k = rng.range(1, 16);
        let n = rng.range(1, 10);
        vec![
            ("A_WIDTH", rng.range(2, 16)),
            ("A_FRAC_WIDTH", rng.range(0, 8)),
            ("B_WIDTH", rng.range(2, 16)),
            ("B_FRAC_WIDTH", rng.range(0, 8)),
            ("OUT_WIDTH", rng.range(2, 16)),
            ("OUT_FRAC_WIDTH", rng.range(0, 10)),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", rng.range(0, 3)),
            ("M_SIZE", rng.range(1, 6)),
            ("K_SIZE", k),
            ("N_SIZE", n),
            ("K_PARALLELISM", divisor(rng, k)),
            ("N_PARALLELISM", divisor(rng, n)),
            ("TRANSPOSE_B", rng.range(0, 1)),
            ("HEADS", rng.range(1, 3)),
        ]
    }
}

struct MatmulInstance {
    params: Params,
    formats: MatmulFormats,
    acc: Format,
    heads: usize,
    m: usize,
    k: usize,
    n: usize,
    pk: usize,
    pn: usize,
    transpose_b: bool,
}

impl MatmulInstance {
    /// Blocks per output beat.
    fn kb(&self) -> usize {
        self.k / self.pk
    }
    /// Output beats per row.
    fn jb(&self) -> usize {
        self.n / self.pn
    }
    /// Lanes of the `b` stream (its innermost dimension's parallelism).
    fn b_lanes(&self) -> usize {
        if self.transpose_b { self.pk } else { self.pn }
    }
    /// Beats of one head's B.
    fn b_beats(&self) -> usize {
        self.k * self.n / self.b_lanes()
    }
    /// Memory entries of the output FIFO (the SV's OUT_FIFO_DEPTH).
    fn out_fifo_depth(&self) -> usize {
        let credit_loop = clog2(self.pk) as usize + 7;
        credit_loop.div_ceil(self.kb()).max(2)
    }

    fn shape(&self, batch: usize) -> MatmulShape {
        MatmulShape {
            heads: batch * self.heads,
            m: self.m,
            k: self.k,
            n: self.n,
            transpose_b: self.transpose_b,
        }
    }

    fn batch(&self, inputs: &TensorMap) -> Result<usize, GenError> {
        Ok(require(inputs, "matmul", "a", "A [N, HEADS, M_SIZE, K_SIZE]")?.shape[0])
    }
}

impl Instance for MatmulInstance {
    fn component(&self) -> &'static dyn Component {
        &Matmul
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_matmul"
    }
    fn library(&self) -> Vec<&'static str> {
        vec![
            "mh_cast_lane",
            "mh_fifo",
            "mh_pipelined_adder_tree",
            "mh_mac_lane",
            "mh_credit_fifo",
            "mh_matmul",
        ]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        PARAMS
            .iter()
            .filter(|s| !DESCRIPTOR_ONLY.contains(&s.name))
            .map(|s| (s.name.to_string(), SvValue::Int(self.params.get(s.name))))
            .collect()
    }
    fn streams(&self) -> Vec<StreamDef> {
        let f = &self.formats;
        vec![
            StreamDef::new("a", Dir::Input, self.pk, f.a, "a"),
            StreamDef::new("b", Dir::Input, self.b_lanes(), f.b, "b"),
            StreamDef::new("data_out", Dir::Output, self.pn, f.output, "data_out"),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let f = &self.formats;
        let h = Dim::Fixed(self.heads);
        let (k, n, m) = (Dim::Fixed(self.k), Dim::Fixed(self.n), Dim::Fixed(self.m));
        vec![
            TensorDef {
                name: "a".into(),
                direction: Dir::Input,
                shape: vec![Dim::Batch, h, m, k],
                format: f.a,
            },
            TensorDef {
                name: "b".into(),
                direction: Dir::Input,
                shape: if self.transpose_b {
                    vec![Dim::Batch, h, n, k]
                } else {
                    vec![Dim::Batch, h, k, n]
                },
                format: f.b,
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: vec![Dim::Batch, h, m, n],
                format: f.output,
            },
        ]
    }
    fn behaviour(&self) -> Behaviour {
        // B is held whole (per head) before A's rows are read; each output row needs
        // its whole A row.
        Behaviour::new(
            false,
            &[
                ("a", FirstOutput::Row { beats: self.kb() }),
                (
                    "b",
                    FirstOutput::Tensor {
                        beats: self.b_beats(),
                    },
                ),
            ],
        )
        .with_after("a", "b")
    }
    fn timing(&self) -> Timing {
        let per_head_beats = self.m * self.jb();
        Timing {
            latency: (self.b_beats() + self.kb() + clog2(self.pk) as usize + 5) as u64,
            initiation_interval: self.kb().max(self.b_beats().div_ceil(per_head_beats)) as u64,
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resource_estimate(&self) -> crate::resources::ResourceEstimate {
        let f = &self.formats;
        crate::resources::matmul(
            self.k as u64,
            self.n as u64,
            self.pk as u64,
            self.pn as u64,
            f.a.width(),
            f.b.width(),
            self.acc.width(),
            f.output.width(),
            None,
        )
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let f = &self.formats;
        BTreeMap::from([
            ("multipliers".to_string(), (self.pk * self.pn) as u64),
            (
                "b_buffer_bits".to_string(),
                (2 * self.k * self.n) as u64 * u64::from(f.b.width()),
            ),
            (
                "row_buffer_bits".to_string(),
                (2 * self.k) as u64 * u64::from(f.a.width()),
            ),
            (
                "accumulator_bits".to_string(),
                self.pn as u64 * u64::from(self.acc.width()),
            ),
            (
                "out_fifo_bits".to_string(),
                ((self.out_fifo_depth() + 1) * self.pn) as u64 * u64::from(f.output.width()),
            ),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let n = "matmul";
        let a = require(inputs, n, "a", "A")?;
        let b = require(inputs, n, "b", "B")?;
        let batch = self.batch(inputs)?;
        let raw = golden::matmul::matmul(&a.raw, &b.raw, &self.shape(batch), &self.formats)
            .map_err(|source| GenError::Fixed {
                component: n.to_string(),
                source,
            })?;
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(
                vec![batch, self.heads, self.m, self.n],
                raw,
                self.formats.output,
            ),
        )]))
    }

    /// The exact product `A·B` in real units, saturated to the output range (the
    /// function a saturating output computes). `None` for `WRAP` and `SAT_ZERO`, whose
    /// out-of-range results are not approximations of the product.
    fn float_reference(
        &self,
        inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        let o = self.formats.output;
        let (lo, hi) = match self.formats.overflow {
            Overflow::Sat => (o.to_f64(o.min_raw()), o.to_f64(o.max_raw())),
            Overflow::SatSym => (-o.to_f64(o.max_raw()), o.to_f64(o.max_raw())),
            Overflow::Wrap | Overflow::SatZero => return Ok(None),
        };
        let n = "matmul";
        let a = require(inputs, n, "a", "A")?;
        let b = require(inputs, n, "b", "B")?;
        let batch = self.batch(inputs)?;
        let c = golden::matmul::matmul_f64(&a.raw, &b.raw, &self.shape(batch), &self.formats)
            .map_err(|source| GenError::Fixed {
                component: n.to_string(),
                source,
            })?;
        Ok(Some(BTreeMap::from([(
            "data_out".to_string(),
            c.into_iter().map(|v| v.clamp(lo, hi)).collect(),
        )])))
    }

    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        let nearest = !matches!(self.formats.rounding, Rounding::Trn | Rounding::TrnZero);
        Some(AccuracyBound {
            max_lsb: if nearest { 0.5 } else { 1.0 },
            note: format!(
                "{} LSB: the exact sum is rounded once ({}), saturated results clamp to the output range; exact in f64 while the accumulator ({} bits) fits 53 bits",
                if nearest { "0.5" } else { "< 1" },
                self.formats.rounding,
                self.acc.width()
            ),
        })
    }

    /// Heads of uniformly random codes, of extremes only (most negative and largest
    /// codes: largest products, saturation), and of small codes (many exact ties of the
    /// output rounding).
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        let mut t = self.random_inputs(rng, batch);
        let sh = self.shape(batch);
        for (name, per) in [("a", sh.m * sh.k), ("b", sh.k * sh.n)] {
            if let Some(x) = t.get_mut(name) {
                let f = x.format;
                for (h, head) in x.raw.chunks_mut(per).enumerate() {
                    match h % 3 {
                        1 => {
                            for v in head {
                                *v = if rng.chance(0.5) {
                                    f.min_raw()
                                } else {
                                    f.max_raw()
                                };
                            }
                        }
                        2 => {
                            for v in head {
                                *v = (rng.range(-2, 2) as i128).clamp(f.min_raw(), f.max_raw());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(overrides: &[(&str, i64)]) -> String {
        match Matmul.configure(overrides) {
            Ok(_) => panic!("{overrides:?} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn impossible_parameters_name_the_rule() {
        for (o, needle) in [
            (vec![("K_SIZE", 6), ("K_PARALLELISM", 4)], "K_PARALLELISM"),
            (vec![("N_SIZE", 5), ("N_PARALLELISM", 2)], "N_PARALLELISM"),
            (
                vec![
                    ("K_PARALLELISM", 128),
                    ("N_PARALLELISM", 64),
                    ("K_SIZE", 128),
                    ("N_SIZE", 64),
                ],
                "multipliers",
            ),
            (vec![("A_WIDTH", 64), ("B_WIDTH", 64)], "A_WIDTH"),
            (vec![("K_SIZE", 2048), ("N_SIZE", 1024)], "N_SIZE"),
        ] {
            let e = err(&o);
            assert!(e.contains(needle) && !e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn timing_and_buffering_formulas() {
        // Defaults: K 8 / Pk 4 = 2 blocks, N 4 / Pn 2 = 2 beats a row, M 4; B 32 elements
        // in 16 beats of 2 lanes: latency 16 + 2 + 2 + 5, II max(2, ceil(16 / 8)).
        let i = Matmul.configure(&[]).unwrap();
        let t = i.timing();
        assert_eq!((t.latency, t.initiation_interval), (25, 2));
        let r = i.resources();
        assert_eq!(r["b_buffer_bits"], 2 * 8 * 4 * 8);
        assert_eq!(r["multipliers"], 8);
        // B^T arrives in 4-lane beats: 8 of them.
        let t = Matmul.configure(&[("TRANSPOSE_B", 1)]).unwrap().timing();
        assert_eq!((t.latency, t.initiation_interval), (17, 2));
        // One row per head, everything parallel: loading B (4 beats) bounds the rate.
        let t = Matmul
            .configure(&[
                ("M_SIZE", 1),
                ("K_SIZE", 4),
                ("N_SIZE", 4),
                ("K_PARALLELISM", 4),
                ("N_PARALLELISM", 4),
            ])
            .unwrap()
            .timing();
        assert_eq!((t.latency, t.initiation_interval), (4 + 1 + 2 + 5, 4));
    }

    #[test]
    fn golden_matches_float_on_small_values() {
        let i = Matmul.configure(&[("TRANSPOSE_B", 1)]).unwrap();
        let x = i.accuracy_inputs(&mut Rng::new(3), 3);
        i.check_inputs(&x).unwrap();
        let g = &i.golden(&x).unwrap()["data_out"];
        assert_eq!(g.shape, vec![3, 2, 4, 4]);
        let f = i.float_reference(&x).unwrap().unwrap();
        for (&raw, &want) in g.raw.iter().zip(&f["data_out"]) {
            assert!((g.format.to_f64(raw) - want).abs() <= 0.5 / 16.0);
        }
        let wrap = Matmul.configure(&[("OVERFLOW", 0)]).unwrap();
        assert!(wrap.float_reference(&x).unwrap().is_none());
    }
}
