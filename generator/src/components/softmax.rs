//! Descriptor of `softmax` (`mh_softmax`): row softmax with max subtraction, range-reduced
//! exponentials (2^-f table with linear interpolation), an exact row sum, one pipelined
//! reciprocal per row and one output cast, rows streamed back to back. Internal
//! precisions are derived from the output format and the row length by
//! `golden::softmax::SoftmaxPlan`; the table and the scale constant come from the same
//! golden functions the model uses.

use std::collections::BTreeMap;

use golden::softmax::{SoftmaxConfig, SoftmaxPlan};
use golden::{Format, Overflow, Rounding};

use super::common::{divides, format_of, rule};
use crate::component::{
    AccuracyBound, AccuracyFigure, Behaviour, Component, FirstOutput, Instance, StreamDef,
    TensorDef, Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap, require};

pub struct Softmax;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 2, 24, 8, "data_in lane width (bits, signed)"),
    ParamSpec::int("IN_FRAC_WIDTH", -8, 24, 4, "data_in fractional bits"),
    ParamSpec::int(
        "OUT_WIDTH",
        1,
        20,
        8,
        "data_out lane width (bits, unsigned)",
    ),
    ParamSpec::int("OUT_FRAC_WIDTH", 1, 20, 7, "data_out fractional bits"),
    ParamSpec::rounding("ROUNDING", "output rounding mode"),
    ParamSpec::overflow("OVERFLOW", "output overflow mode"),
    ParamSpec::int("SIZE", 1, 4096, 16, "elements per row (N)"),
    ParamSpec::int("PARALLELISM", 1, 64, 4, "lanes per beat (divides SIZE)"),
    ParamSpec::int(
        "EXP_TABLE_BITS",
        1,
        10,
        8,
        "log2 of the 2^-f table segments (2^k + 1 entries)",
    ),
    ParamSpec::int(
        "GUARD_BITS",
        5,
        12,
        5,
        "extra fractional bits of e (beyond OUT_FRAC + clog2 SIZE) and of 1/S",
    ),
    ParamSpec::int(
        "SCALE",
        1,
        1 << 20,
        1,
        "scale before the exponent, raw (value SCALE / 2^SCALE_FRAC_WIDTH)",
    ),
    ParamSpec::int("SCALE_FRAC_WIDTH", 0, 24, 0, "fractional bits of SCALE"),
];

impl Component for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }
    fn summary(&self) -> &'static str {
        "row softmax: max subtraction, 2^-f table + interpolation, exact sum, one pipelined reciprocal per row, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let n = self.name();
        let size = p.get_usize("SIZE");
        let lanes = p.get_usize("PARALLELISM");
        divides(n, p, "PARALLELISM", "SIZE")?;
        let (ow, of) = (p.get_i32("OUT_WIDTH"), p.get_i32("OUT_FRAC_WIDTH"));
        if of > ow {
            return Err(rule(
                n,
                "OUT_FRAC_WIDTH",
                p,
                format!("must be <= OUT_WIDTH={ow} (probabilities are below 2)"),
            ));
        }
        let overflow = p.overflow("OVERFLOW");
        if of == ow && !matches!(overflow, Overflow::Sat | Overflow::SatSym) {
            return Err(rule(
                n,
                "OVERFLOW",
                p,
                "must be SAT (1) or SAT_SYM (3) when 1.0 does not fit (OUT_WIDTH = OUT_FRAC_WIDTH)",
            ));
        }
        let k_min = (of / 2).max(1);
        if p.get_i32("EXP_TABLE_BITS") < k_min {
            return Err(rule(
                n,
                "EXP_TABLE_BITS",
                p,
                format!(
                    "must be >= max(1, OUT_FRAC_WIDTH/2) = {k_min} (interpolation error 0.06*4^-k <= 2^-(OUT_FRAC_WIDTH+3))"
                ),
            ));
        }
        let input = format_of(n, p, "IN")?;
        let output = Format::unsigned(ow as u32, of).map_err(|source| GenError::Fixed {
            component: n.to_string(),
            source,
        })?;
        let plan = SoftmaxPlan::new(SoftmaxConfig {
            input,
            output,
            rounding: p.rounding("ROUNDING"),
            overflow,
            size,
            table_bits: p.get_u32("EXP_TABLE_BITS"),
            guard_bits: p.get_u32("GUARD_BITS"),
            scale: p.get("SCALE") as u64,
            scale_frac: p.get_u32("SCALE_FRAC_WIDTH"),
        });
        Ok(Box::new(SoftmaxInstance {
            params: p.clone(),
            plan,
            size,
            lanes,
        }))
    }

    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            // Non-power-of-two row, one lane, integer inputs.
            vec![("SIZE", 5), ("PARALLELISM", 1), ("IN_FRAC_WIDTH", 0)],
            // One beat per row (P = SIZE), 16-bit in, u0.16 out (1.0 saturates).
            vec![
                ("SIZE", 8),
                ("PARALLELISM", 8),
                ("IN_WIDTH", 16),
                ("IN_FRAC_WIDTH", 8),
                ("OUT_WIDTH", 16),
                ("OUT_FRAC_WIDTH", 16),
            ],
            // Odd widths, frac = width, RND_CONV, WRAP (1.0 fits).
            vec![
                ("SIZE", 12),
                ("PARALLELISM", 3),
                ("IN_WIDTH", 7),
                ("IN_FRAC_WIDTH", 7),
                ("OUT_WIDTH", 9),
                ("OUT_FRAC_WIDTH", 8),
                ("ROUNDING", 6),
                ("OVERFLOW", 0),
            ],
            // Attention: scale 181/2048 ~ 1/sqrt(128), 16-bit scores.
            vec![
                ("SIZE", 64),
                ("PARALLELISM", 8),
                ("IN_WIDTH", 16),
                ("IN_FRAC_WIDTH", 8),
                ("OUT_WIDTH", 16),
                ("OUT_FRAC_WIDTH", 15),
                ("SCALE", 181),
                ("SCALE_FRAC_WIDTH", 11),
            ],
            // Narrowest formats.
            vec![
                ("SIZE", 2),
                ("PARALLELISM", 2),
                ("IN_WIDTH", 2),
                ("IN_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 1),
                ("OUT_FRAC_WIDTH", 1),
                ("EXP_TABLE_BITS", 1),
            ],
            // Truncation, negative input frac, small table, more guard bits.
            vec![
                ("SIZE", 3),
                ("PARALLELISM", 1),
                ("IN_FRAC_WIDTH", -2),
                ("OUT_WIDTH", 8),
                ("OUT_FRAC_WIDTH", 8),
                ("ROUNDING", 0),
                ("EXP_TABLE_BITS", 4),
                ("GUARD_BITS", 7),
            ],
            // Large scale (3.0), wide beat.
            vec![
                ("SIZE", 32),
                ("PARALLELISM", 16),
                ("IN_FRAC_WIDTH", 2),
                ("SCALE", 3),
                ("OUT_WIDTH", 12),
                ("OUT_FRAC_WIDTH", 11),
            ],
        ]
    }

    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let size = rng.range(1, 24);
        let d: Vec<i64> = (1..=size).filter(|d| size % d == 0).collect();
        let iw = rng.range(2, 16);
        let ow = rng.range(1, 16);
        let of = rng.range((ow - 1).max(1), ow);
        let overflow = if of == ow {
            rng.pick(&[1, 3])
        } else {
            rng.range(0, 3)
        };
        vec![
            ("IN_WIDTH", iw),
            ("IN_FRAC_WIDTH", rng.range(-2, iw + 2)),
            ("OUT_WIDTH", ow),
            ("OUT_FRAC_WIDTH", of),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", overflow),
            ("SIZE", size),
            ("PARALLELISM", rng.pick(&d)),
            ("EXP_TABLE_BITS", rng.range((of / 2).max(1), 10)),
            ("GUARD_BITS", rng.range(5, 8)),
            ("SCALE", rng.range(1, 300)),
            ("SCALE_FRAC_WIDTH", rng.range(0, 10)),
        ]
    }
}

struct SoftmaxInstance {
    params: Params,
    plan: SoftmaxPlan,
    size: usize,
    lanes: usize,
}

impl SoftmaxInstance {
    fn beats(&self) -> u64 {
        (self.size / self.lanes) as u64
    }
    fn input(&self) -> Format {
        self.plan.cfg.input
    }
    fn output(&self) -> Format {
        self.plan.cfg.output
    }
    fn scale(&self) -> f64 {
        self.params.get("SCALE") as f64 / f64::from(self.params.get_i32("SCALE_FRAC_WIDTH")).exp2()
    }
    /// FIFO depths of the SV module (x, max, e, reciprocal).
    fn fifo_depths(&self) -> [u64; 4] {
        let nb = self.beats();
        let dx = nb + 4;
        let de = nb + u64::from(self.plan.recip_frac) + 6;
        [dx, (dx + nb) / nb + 2, de, (de + nb) / nb + 2]
    }
}

/// A Gaussian sample (Box–Muller) for accuracy inputs.
fn gauss(rng: &mut Rng) -> f64 {
    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl Instance for SoftmaxInstance {
    fn component(&self) -> &'static dyn Component {
        &Softmax
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_softmax"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_cast_lane", "mh_fifo", "mh_softmax_recip", "mh_softmax"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        let p = &self.params;
        let pl = &self.plan;
        let mut v: Vec<(String, SvValue)> = [
            "IN_WIDTH",
            "OUT_WIDTH",
            "OUT_FRAC_WIDTH",
            "ROUNDING",
            "OVERFLOW",
            "SIZE",
            "PARALLELISM",
            "EXP_TABLE_BITS",
        ]
        .iter()
        .map(|n| (n.to_string(), SvValue::Int(p.get(n))))
        .collect();
        let k_format = Format::unsigned(pl.k_width, 0).expect("K is at most 60 bits");
        v.extend([
            (
                "EXP_FRAC_WIDTH".into(),
                SvValue::Int(i64::from(pl.exp_frac)),
            ),
            (
                "RECIP_FRAC_WIDTH".into(),
                SvValue::Int(i64::from(pl.recip_frac)),
            ),
            ("T_FRAC_WIDTH".into(), SvValue::Int(i64::from(pl.t_frac))),
            ("T_SHIFT".into(), SvValue::Int(i64::from(pl.t_shift()))),
            ("K_WIDTH".into(), SvValue::Int(i64::from(pl.k_width))),
            ("SCALE_K".into(), SvValue::table(&[pl.k as i128], k_format)),
            (
                "EXP_TABLE".into(),
                SvValue::table(&pl.table, pl.exp_format()),
            ),
        ]);
        v
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("data_in", Dir::Input, self.lanes, self.input(), "data_in"),
            StreamDef::new(
                "data_out",
                Dir::Output,
                self.lanes,
                self.output(),
                "data_out",
            ),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let shape = vec![Dim::Batch, Dim::Fixed(self.size)];
        vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: shape.clone(),
                format: self.input(),
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape,
                format: self.output(),
            },
        ]
    }
    fn behaviour(&self) -> Behaviour {
        // The row max and the sum of exponentials need the whole row.
        Behaviour::new(
            false,
            &[(
                "data_in",
                FirstOutput::Row {
                    beats: self.beats() as usize,
                },
            )],
        )
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: 2 * self.beats() + u64::from(self.plan.recip_frac) + 12,
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let pl = &self.plan;
        let lanes = self.lanes as u64;
        let iw = u64::from(self.input().width());
        let ew = u64::from(pl.exp_frac) + 1;
        let rw = u64::from(pl.recip_frac) + 1;
        let [dx, dm, de, dr] = self.fifo_depths();
        let entries = pl.table.len() as u64;
        BTreeMap::from([
            // Per lane: d*K, table interpolation, e*R.
            ("multipliers".to_string(), 3 * lanes),
            ("exp_table_entries".to_string(), entries),
            ("exp_table_bits".to_string(), entries * ew),
            (
                "row_buffer_bits".to_string(),
                (dx + 1) * lanes * iw + (de + 1) * lanes * ew,
            ),
            ("fifo_bits_other".to_string(), (dm + 1) * iw + (dr + 1) * rw),
            ("divider_stages".to_string(), rw),
            ("sum_bits".to_string(), u64::from(pl.sum_width())),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = require(inputs, "softmax", "data_in", "input rows")?;
        let raw = golden::softmax::softmax(&x.raw, &self.plan);
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(x.shape.clone(), raw, self.output()),
        )]))
    }
    fn float_reference(
        &self,
        inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        let x = require(inputs, "softmax", "data_in", "input rows")?;
        let xf: Vec<f64> = x.raw.iter().map(|&v| x.format.to_f64(v)).collect();
        Ok(Some(BTreeMap::from([(
            "data_out".to_string(),
            golden::softmax::softmax_f64(&xf, self.size, self.scale()),
        )])))
    }
    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        let truncating = matches!(self.plan.cfg.rounding, Rounding::Trn | Rounding::TrnZero);
        Some(AccuracyBound {
            max_lsb: if truncating { 1.3 } else { 1.0 },
            note: "0.5 LSB output rounding (1 LSB truncating) + <= 0.3 LSB approximation".into(),
        })
    }
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        let f = self.input();
        let (lo, hi) = (f.min_raw(), f.max_raw());
        let lsb = (-f64::from(f.frac())).exp2();
        let q = |v: f64| ((v / lsb).round() as i128).clamp(lo, hi);
        let mut raw = Vec::with_capacity(batch * self.size);
        for r in 0..batch {
            let mut row: Vec<i128> = match r % 6 {
                // Attention-score-like Gaussian logits, sigma 1..4 (real units).
                0 => {
                    let sigma = [1.0, 2.0, 4.0][rng.below(3) as usize];
                    (0..self.size).map(|_| q(gauss(rng) * sigma)).collect()
                }
                // Gaussian logits around a large offset (near either end of the range).
                1 => {
                    let off = if rng.chance(0.5) {
                        hi - (hi - lo) / 8
                    } else {
                        lo + (hi - lo) / 8
                    };
                    (0..self.size)
                        .map(|_| (off + q(gauss(rng) * 2.0)).clamp(lo, hi))
                        .collect()
                }
                // Near ties: the top two differ by 0..3 LSBs.
                2 => {
                    let mut row: Vec<i128> = (0..self.size).map(|_| rng.raw_in(f)).collect();
                    let m = *row.iter().max().unwrap_or(&0);
                    let a = rng.below(self.size as u64) as usize;
                    let b = rng.below(self.size as u64) as usize;
                    row[b] = (m - rng.range(0, 3) as i128).max(lo);
                    row[a] = m;
                    row
                }
                // One-hot-like: one high value, the rest near the bottom.
                3 => {
                    let mut row: Vec<i128> = (0..self.size)
                        .map(|_| lo + rng.range(0, 3) as i128)
                        .collect();
                    row[rng.below(self.size as u64) as usize] = hi - rng.range(0, 3) as i128;
                    row
                }
                // All equal.
                4 => vec![rng.raw_in(f); self.size],
                // Uniform codes.
                _ => (0..self.size).map(|_| rng.raw_in(f)).collect(),
            };
            raw.append(&mut row);
        }
        TensorMap::from([(
            "data_in".to_string(),
            Tensor::new(vec![batch, self.size], raw, f),
        )])
    }
    fn accuracy_extras(
        &self,
        inputs: &TensorMap,
        golden: &TensorMap,
        _float: &BTreeMap<String, Vec<f64>>,
    ) -> Vec<AccuracyFigure> {
        let (Some(x), Some(y)) = (inputs.get("data_in"), golden.get("data_out")) else {
            return Vec::new();
        };
        let one = 1i128 << self.output().frac();
        let mut sum_err = 0i128;
        let (mut eligible, mut kept, mut unique) = (0usize, 0usize, 0usize);
        for (xr, yr) in x.raw.chunks(self.size).zip(y.raw.chunks(self.size)) {
            sum_err = sum_err.max((yr.iter().sum::<i128>() - one).abs());
            let am = (0..xr.len())
                .max_by_key(|&i| (xr[i], std::cmp::Reverse(i)))
                .unwrap_or(0);
            let second = (0..xr.len()).filter(|&i| i != am).map(|i| xr[i]).max();
            if second.is_some_and(|s| xr[am] - s < 2) {
                continue;
            }
            eligible += 1;
            if yr.iter().all(|&v| v <= yr[am]) {
                kept += 1;
                if yr.iter().enumerate().all(|(i, &v)| i == am || v < yr[am]) {
                    unique += 1;
                }
            }
        }
        let frac = |n: usize| {
            if eligible == 0 {
                1.0
            } else {
                n as f64 / eligible as f64
            }
        };
        vec![
            AccuracyFigure {
                name: "sum_err_lsb".into(),
                value: sum_err as f64,
                min: None,
                max: Some(self.size as f64),
            },
            AccuracyFigure {
                name: "argmax_agreement".into(),
                value: frac(kept),
                min: Some(1.0),
                max: None,
            },
            AccuracyFigure {
                name: "argmax_unique".into(),
                value: frac(unique),
                min: None,
                max: None,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(overrides: &[(&str, i64)]) -> String {
        match Softmax.configure(overrides) {
            Ok(_) => panic!("{overrides:?} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn impossible_parameters_are_one_line_errors() {
        for (o, want) in [
            (vec![("PARALLELISM", 3)], "must divide SIZE=16"),
            (vec![("OUT_FRAC_WIDTH", 9)], "must be <= OUT_WIDTH=8"),
            (
                vec![("OUT_FRAC_WIDTH", 8), ("OVERFLOW", 0)],
                "must be SAT (1) or SAT_SYM (3)",
            ),
            (
                vec![
                    ("OUT_WIDTH", 16),
                    ("OUT_FRAC_WIDTH", 16),
                    ("EXP_TABLE_BITS", 7),
                ],
                "must be >= max(1, OUT_FRAC_WIDTH/2) = 8",
            ),
        ] {
            let e = err(&o);
            assert!(e.contains(want), "{o:?}: {e}");
            assert!(!e.contains('\n'), "{o:?}: {e}");
        }
    }

    #[test]
    fn signature_timing_and_resources() {
        let inst = Softmax.configure(&[]).unwrap();
        // NB = 4, RF = 7 + 5.
        assert_eq!(inst.timing().latency, 2 * 4 + 12 + 12);
        let r = inst.resources();
        assert_eq!(r["multipliers"], 12);
        assert_eq!(r["exp_table_entries"], 257);
        assert_eq!(r["exp_table_bits"], 257 * 17);
    }
}
