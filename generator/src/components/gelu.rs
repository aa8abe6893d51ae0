//! Descriptor of `gelu` (`mh_gelu`): lane-wise GELU in the exact erf form by table
//! lookup — a full table (one entry per input code) for inputs of at most 10 bits, a
//! segmented table with linear interpolation and exact tails (0 below, `x` above) for
//! wider inputs. The table and its bounds come from `golden::gelu::GeluPlan`, the same
//! function the golden model evaluates.

use std::collections::BTreeMap;

use golden::Overflow;
use golden::gelu::{GeluError, GeluPlan, GeluTable};

use super::common::{format_of, lanewise_streams, lanewise_tensors, rounding_error_lsb, rule};
use crate::component::{
    AccuracyBound, Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Tensor, TensorMap};

pub struct Gelu;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 32, 8, "input lane width (bits, signed)"),
    ParamSpec::int("IN_FRAC_WIDTH", -8, 40, 5, "input fractional bits"),
    ParamSpec::int("OUT_WIDTH", 1, 32, 8, "output lane width (bits, signed)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -8, 32, 5, "output fractional bits"),
    ParamSpec::rounding("ROUNDING", "rounding mode of the output"),
    ParamSpec::overflow("OVERFLOW", "overflow mode of the output"),
    ParamSpec::int("PARALLELISM", 1, 64, 4, "lanes per beat"),
];

impl Component for Gelu {
    fn name(&self) -> &'static str {
        "gelu"
    }
    fn summary(&self) -> &'static str {
        "lane-wise GELU (erf form): full table up to 10-bit inputs, else segmented linear table, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let input = format_of(self.name(), p, "IN")?;
        let output = format_of(self.name(), p, "OUT")?;
        let plan = GeluPlan::new(
            input,
            output,
            p.rounding("ROUNDING"),
            p.overflow("OVERFLOW"),
        )
        .map_err(|e| match e {
            GeluError::Fixed(source) => GenError::Fixed {
                component: self.name().to_string(),
                source,
            },
            other => rule(self.name(), "OUT_FRAC_WIDTH", p, other.to_string()),
        })?;
        Ok(Box::new(GeluInstance {
            params: p.clone(),
            plan,
            lanes: p.get_usize("PARALLELISM"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![
                ("IN_WIDTH", 1),
                ("IN_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 1),
                ("OUT_FRAC_WIDTH", 0),
                ("PARALLELISM", 1),
            ],
            vec![
                ("IN_WIDTH", 10),
                ("IN_FRAC_WIDTH", 10),
                ("OUT_WIDTH", 7),
                ("OUT_FRAC_WIDTH", 7),
                ("ROUNDING", 6),
                ("PARALLELISM", 3),
            ],
            vec![
                ("IN_WIDTH", 16),
                ("IN_FRAC_WIDTH", 12),
                ("OUT_WIDTH", 16),
                ("OUT_FRAC_WIDTH", 12),
            ],
            vec![
                ("IN_WIDTH", 11),
                ("IN_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 9),
                ("OUT_FRAC_WIDTH", 0),
                ("ROUNDING", 0),
                ("PARALLELISM", 1),
            ],
            vec![
                ("IN_WIDTH", 13),
                ("IN_FRAC_WIDTH", 9),
                ("OUT_WIDTH", 11),
                ("OUT_FRAC_WIDTH", 7),
                ("OVERFLOW", 3),
                ("PARALLELISM", 5),
            ],
            vec![
                ("IN_WIDTH", 16),
                ("IN_FRAC_WIDTH", 8),
                ("OUT_WIDTH", 8),
                ("OUT_FRAC_WIDTH", 4),
                ("ROUNDING", 1),
                ("OVERFLOW", 0),
                ("PARALLELISM", 16),
            ],
            vec![
                ("IN_WIDTH", 24),
                ("IN_FRAC_WIDTH", 20),
                ("OUT_WIDTH", 16),
                ("OUT_FRAC_WIDTH", 14),
                ("PARALLELISM", 2),
            ],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let iw = rng.range(1, 20);
        let ow = rng.range(2, 16);
        vec![
            ("IN_WIDTH", iw),
            ("IN_FRAC_WIDTH", rng.range(0, iw)),
            ("OUT_WIDTH", ow),
            ("OUT_FRAC_WIDTH", rng.range(0, ow - 1)),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", rng.range(0, 3)),
            ("PARALLELISM", rng.range(1, 8)),
        ]
    }
}

struct GeluInstance {
    params: Params,
    plan: GeluPlan,
    lanes: usize,
}

impl GeluInstance {
    fn segments(&self) -> Option<&golden::gelu::Segments> {
        match &self.plan.table {
            GeluTable::Full(_) => None,
            GeluTable::Segmented(s) => Some(s),
        }
    }
}

impl Instance for GeluInstance {
    fn component(&self) -> &'static dyn Component {
        &Gelu
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_gelu"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_cast_lane", "mh_gelu"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        let (i, o) = (self.plan.input, self.plan.output);
        let int = |n: &str, v: i64| (n.to_string(), SvValue::Int(v));
        let mut v = vec![
            int("IN_WIDTH", i.width().into()),
            int("IN_FRAC_WIDTH", i.frac().into()),
            int("OUT_WIDTH", o.width().into()),
            int("OUT_FRAC_WIDTH", o.frac().into()),
            int("ROUNDING", self.plan.rounding.code().into()),
            int("OVERFLOW", self.plan.overflow.code().into()),
            int("PARALLELISM", self.lanes as i64),
        ];
        match &self.plan.table {
            GeluTable::Full(entries) => {
                v.extend([
                    int("FULL_TABLE", 1),
                    int("ENTRIES", entries.len() as i64),
                    int("ENTRY_WIDTH", o.width().into()),
                    ("TABLE".to_string(), SvValue::table(entries, o)),
                ]);
            }
            GeluTable::Segmented(s) => {
                v.extend([
                    int("FULL_TABLE", 0),
                    int("ENTRIES", s.entries.len() as i64),
                    int("ENTRY_WIDTH", s.entry.width().into()),
                    int("ENTRY_FRAC_WIDTH", s.entry.frac().into()),
                    int("SEG_BITS", s.seg_bits.into()),
                    int("MID_LO", s.mid_lo as i64),
                    int("MID_HI", s.mid_hi as i64),
                    ("TABLE".to_string(), SvValue::table(&s.entries, s.entry)),
                ]);
            }
        }
        v
    }
    fn streams(&self) -> Vec<StreamDef> {
        lanewise_streams(self.lanes, self.plan.input, self.plan.output)
    }
    fn tensors(&self) -> Vec<TensorDef> {
        lanewise_tensors(
            self.lanes,
            &[
                ("data_in", Dir::Input, self.plan.input),
                ("data_out", Dir::Output, self.plan.output),
            ],
        )
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(false, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: if self.segments().is_some() { 2 } else { 1 },
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        vec![("data_out_ready".into(), "data_in_ready".into())]
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let lanes = self.lanes as u64;
        let ow = u64::from(self.plan.output.width());
        let entries = self.plan.entries() as u64;
        match self.segments() {
            None => BTreeMap::from([
                ("table_entries".to_string(), entries),
                ("table_entry_bits".to_string(), ow),
                ("table_bits".to_string(), entries * ow),
                ("table_reads_per_beat".to_string(), lanes),
                ("multipliers".to_string(), 0),
                ("register_bits".to_string(), lanes * ow + 1),
            ]),
            Some(s) => {
                let ew = u64::from(s.entry.width());
                let tw = u64::from(s.seg_bits.max(1));
                let iw = u64::from(self.plan.input.width());
                BTreeMap::from([
                    ("table_entries".to_string(), entries),
                    ("table_entry_bits".to_string(), ew),
                    ("table_bits".to_string(), entries * ew),
                    ("table_reads_per_beat".to_string(), 2 * lanes),
                    ("multipliers".to_string(), lanes),
                    ("multiplier_a_bits".to_string(), ew + 1),
                    ("multiplier_b_bits".to_string(), tw + 1),
                    (
                        "register_bits".to_string(),
                        lanes * (2 + iw + 2 * ew + 1 + tw + ow) + 2,
                    ),
                ])
            }
        }
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "gelu", "data_in", "input")?;
        let raw = golden::gelu::gelu(&x.raw, &self.plan);
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(x.shape.clone(), raw, self.plan.output),
        )]))
    }
    fn float_reference(
        &self,
        inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        let x = crate::tensor::require(inputs, "gelu", "data_in", "input")?;
        let y = x
            .raw
            .iter()
            .map(|&v| golden::gelu::gelu_f64(self.plan.input.to_f64(v)))
            .collect();
        Ok(Some(BTreeMap::from([("data_out".to_string(), y)])))
    }
    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        // Rounding of the output (0.5 nearest, < 1 truncating) plus, for the segmented
        // table, the approximation: tails ≤ 1/8 LSB, interpolation ≤ 0.1 LSB plus
        // breakpoint rounding ≤ 1/32 LSB, so ≤ 0.25 LSB in all.
        let r = rounding_error_lsb(self.plan.rounding, 60, 0);
        let approx = if self.segments().is_some() { 0.25 } else { 0.0 };
        Some(AccuracyBound {
            max_lsb: r + approx,
            note: "full table: 0.5 LSB (round to nearest) / 1 LSB (TRN, TRN_ZERO); segmented: 0.75 / 1.25 LSB; over inputs whose GELU the output range holds (1 LSB inside it for WRAP / SAT_ZERO; beyond it the overflow mode decides)".into(),
        })
    }
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        // Every input code up to 16 bits (padded to whole beats); wider inputs: random
        // codes, half of them in the interpolated range, where the error lives.
        let f = self.plan.input;
        let mut raw: Vec<i128> = if f.width() <= 16 {
            (f.min_raw()..=f.max_raw()).collect()
        } else {
            let (lo, hi) = self
                .segments()
                .map_or((f.min_raw(), f.max_raw()), |s| (s.mid_lo, s.mid_hi));
            let span = (hi - lo + 1) as u64;
            (0..batch.max(1) * 4096)
                .map(|n| {
                    if n % 2 == 0 {
                        lo + rng.below(span) as i128
                    } else {
                        rng.raw_in(f)
                    }
                })
                .collect()
        };
        // Keep inputs whose GELU the output range holds. Saturation only moves a result
        // towards that range, so SAT / SAT_SYM need no margin; WRAP / SAT_ZERO keep 1 LSB.
        let o = self.plan.output;
        let lsb = (-f64::from(o.frac())).exp2();
        let (margin, min_raw) = match self.plan.overflow {
            Overflow::Sat => (0.0, o.min_raw()),
            Overflow::SatSym => (0.0, -o.max_raw()),
            Overflow::Wrap | Overflow::SatZero => (lsb, o.min_raw()),
        };
        let (lo, hi) = (o.to_f64(min_raw) + margin, o.to_f64(o.max_raw()) - margin);
        raw.retain(|&c| (lo..=hi).contains(&golden::gelu::gelu_f64(f.to_f64(c))));
        while !raw.len().is_multiple_of(self.lanes) || raw.is_empty() {
            raw.push(0);
        }
        let rows = raw.len() / self.lanes;
        TensorMap::from([(
            "data_in".to_string(),
            Tensor::new(vec![rows, self.lanes], raw, f),
        )])
    }
}
