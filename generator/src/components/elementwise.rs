//! Shared descriptor body of the two-input elementwise components `add` (`mh_add`) and
//! `mul` (`mh_mul`): streams `a` and `b` (signed, each its own format) pair up beat by
//! beat, the exact sum or product is cast once to the output format. `add.rs` and
//! `mul.rs` hold the per-component facts (name, corners, timing, golden call).

use std::collections::BTreeMap;

use golden::{Format, Overflow, Rounding};

use super::common::{
    f64_slack_lsb, format_of, raw_log_uniform, representable, rounded, rounding_error_lsb,
    sv_int_params,
};
use crate::component::{
    AccuracyBound, Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

/// Which operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Mul,
}

/// Parameters of both components (same names as the SV parameters, same order).
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("A_WIDTH", 1, 32, 16, "operand a lane width (bits, signed)"),
    ParamSpec::int("A_FRAC_WIDTH", -16, 48, 8, "operand a fractional bits"),
    ParamSpec::int("B_WIDTH", 1, 32, 16, "operand b lane width (bits, signed)"),
    ParamSpec::int("B_FRAC_WIDTH", -16, 48, 8, "operand b fractional bits"),
    ParamSpec::int("OUT_WIDTH", 1, 48, 16, "output lane width (bits, signed)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -16, 96, 8, "output fractional bits"),
    ParamSpec::rounding("ROUNDING", "rounding mode of the output cast"),
    ParamSpec::overflow("OVERFLOW", "overflow mode of the output cast"),
    ParamSpec::int("PARALLELISM", 1, 256, 4, "lanes per beat"),
];

/// Corner configurations shared by both: width 1, odd widths with frac 0 and
/// frac = width, parallelism 1 and 16, wide operands, an overflowing output.
pub fn corners() -> Vec<Vec<(&'static str, i64)>> {
    vec![
        vec![],
        vec![
            ("A_WIDTH", 1),
            ("A_FRAC_WIDTH", 0),
            ("B_WIDTH", 1),
            ("B_FRAC_WIDTH", 0),
            ("OUT_WIDTH", 2),
            ("OUT_FRAC_WIDTH", 0),
            ("PARALLELISM", 1),
        ],
        vec![
            ("A_WIDTH", 7),
            ("A_FRAC_WIDTH", 7),
            ("B_WIDTH", 13),
            ("B_FRAC_WIDTH", 0),
            ("OUT_WIDTH", 9),
            ("OUT_FRAC_WIDTH", 3),
            ("ROUNDING", 6),
            ("PARALLELISM", 3),
        ],
        vec![
            ("A_WIDTH", 8),
            ("A_FRAC_WIDTH", 4),
            ("B_WIDTH", 16),
            ("B_FRAC_WIDTH", 12),
            ("OUT_WIDTH", 8),
            ("OUT_FRAC_WIDTH", 4),
            ("ROUNDING", 1),
            ("OVERFLOW", 0),
            ("PARALLELISM", 16),
        ],
        vec![
            ("A_WIDTH", 32),
            ("A_FRAC_WIDTH", -4),
            ("B_WIDTH", 32),
            ("B_FRAC_WIDTH", 16),
            ("OUT_WIDTH", 48),
            ("OUT_FRAC_WIDTH", 16),
            ("PARALLELISM", 2),
        ],
        vec![
            ("A_WIDTH", 5),
            ("A_FRAC_WIDTH", 5),
            ("B_WIDTH", 5),
            ("B_FRAC_WIDTH", 5),
            ("OUT_WIDTH", 5),
            ("OUT_FRAC_WIDTH", 5),
            ("ROUNDING", 3),
            ("OVERFLOW", 3),
            ("PARALLELISM", 1),
        ],
    ]
}

/// A random legal configuration.
pub fn random(rng: &mut Rng) -> Vec<(&'static str, i64)> {
    let aw = rng.range(1, 20);
    let bw = rng.range(1, 20);
    let ow = rng.range(1, 24);
    vec![
        ("A_WIDTH", aw),
        ("A_FRAC_WIDTH", rng.range(0, aw)),
        ("B_WIDTH", bw),
        ("B_FRAC_WIDTH", rng.range(0, bw)),
        ("OUT_WIDTH", ow),
        ("OUT_FRAC_WIDTH", rng.range(0, ow + 4)),
        ("ROUNDING", rng.range(0, 6)),
        ("OVERFLOW", rng.range(0, 3)),
        ("PARALLELISM", rng.range(1, 8)),
    ]
}

/// Elaborates either operation.
pub fn elaborate(
    c: &'static dyn Component,
    op: Op,
    p: &Params,
) -> Result<Box<dyn Instance>, GenError> {
    let a = format_of(c.name(), p, "A")?;
    let b = format_of(c.name(), p, "B")?;
    let exact = match op {
        Op::Add => golden::fixed::add_format(a, b),
        Op::Mul => golden::fixed::mul_format(a, b),
    }
    .map_err(|source| GenError::Fixed {
        component: c.name().to_string(),
        source,
    })?;
    Ok(Box::new(BinaryInstance {
        component: c,
        op,
        params: p.clone(),
        a,
        b,
        exact,
        output: format_of(c.name(), p, "OUT")?,
        rounding: p.rounding("ROUNDING"),
        overflow: p.overflow("OVERFLOW"),
        lanes: p.get_usize("PARALLELISM"),
    }))
}

struct BinaryInstance {
    component: &'static dyn Component,
    op: Op,
    params: Params,
    a: Format,
    b: Format,
    /// Format of the exact sum or product.
    exact: Format,
    output: Format,
    rounding: Rounding,
    overflow: Overflow,
    lanes: usize,
}

impl BinaryInstance {
    /// The exact sum or product of raw codes `x` (of `a`) and `y` (of `b`), in `exact`.
    fn exact_of(&self, x: i128, y: i128) -> i128 {
        let r = match self.op {
            Op::Add => golden::fixed::add(x, self.a, y, self.b),
            Op::Mul => golden::fixed::mul(x, self.a, y, self.b),
        };
        r.map_or(0, |(z, _)| z)
    }
}

impl Instance for BinaryInstance {
    fn component(&self) -> &'static dyn Component {
        self.component
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        match self.op {
            Op::Add => "mh_add",
            Op::Mul => "mh_mul",
        }
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_cast_lane", self.module()]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        sv_int_params(&self.params, PARAMS.iter().map(|s| s.name))
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("a", Dir::Input, self.lanes, self.a, "a"),
            StreamDef::new("b", Dir::Input, self.lanes, self.b, "b"),
            StreamDef::new("data_out", Dir::Output, self.lanes, self.output, "data_out"),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let shape = vec![Dim::Batch, Dim::Fixed(self.lanes)];
        [
            ("a", Dir::Input, self.a),
            ("b", Dir::Input, self.b),
            ("data_out", Dir::Output, self.output),
        ]
        .into_iter()
        .map(|(name, direction, format)| TensorDef {
            name: name.into(),
            direction,
            shape: shape.clone(),
            format,
        })
        .collect()
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(false, &[("a", FirstOutput::Beat), ("b", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: match self.op {
                Op::Add => 1,
                Op::Mul => 2,
            },
            initiation_interval: 1,
            ii_stream: "a".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        vec![
            ("data_out_ready".into(), "a_ready".into()),
            ("data_out_ready".into(), "b_ready".into()),
            ("b_valid".into(), "a_ready".into()),
            ("a_valid".into(), "b_ready".into()),
        ]
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let lanes = self.lanes as u64;
        let out_bits = lanes * u64::from(self.output.width()) + 1;
        match self.op {
            Op::Add => BTreeMap::from([
                ("adders".to_string(), lanes),
                ("adder_width".to_string(), u64::from(self.exact.width())),
                ("multipliers".to_string(), 0),
                ("register_bits".to_string(), out_bits),
            ]),
            Op::Mul => BTreeMap::from([
                ("multipliers".to_string(), lanes),
                ("product_width".to_string(), u64::from(self.exact.width())),
                (
                    "register_bits".to_string(),
                    out_bits + lanes * u64::from(self.exact.width()) + 1,
                ),
            ]),
        }
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let name = self.component.name();
        let a = crate::tensor::require(inputs, name, "a", "input")?;
        let b = crate::tensor::require(inputs, name, "b", "input")?;
        let f = match self.op {
            Op::Add => golden::add::add_elementwise,
            Op::Mul => golden::mul::mul_elementwise,
        };
        let raw = f(
            &a.raw,
            self.a,
            &b.raw,
            self.b,
            self.output,
            self.rounding,
            self.overflow,
        )
        .map_err(|source| GenError::Fixed {
            component: name.to_string(),
            source,
        })?;
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(a.shape.clone(), raw, self.output),
        )]))
    }
    fn float_reference(
        &self,
        inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        let name = self.component.name();
        let a = crate::tensor::require(inputs, name, "a", "input")?;
        let b = crate::tensor::require(inputs, name, "b", "input")?;
        let y = a
            .raw
            .iter()
            .zip(&b.raw)
            .map(|(&x, &y)| {
                let (x, y) = (self.a.to_f64(x), self.b.to_f64(y));
                match self.op {
                    Op::Add => golden::add::add_f64(x, y),
                    Op::Mul => golden::mul::mul_f64(x, y),
                }
            })
            .collect();
        Ok(Some(BTreeMap::from([("data_out".to_string(), y)])))
    }
    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        // The exact result rounded once: the bound is the rounding error (plus the f64
        // rounding of the reference itself when the exact result exceeds 53 bits).
        let r = rounding_error_lsb(self.rounding, self.exact.frac(), self.output.frac());
        Some(AccuracyBound {
            max_lsb: r + f64_slack_lsb(self.exact.width(), self.output.width()),
            note: "exact result rounded once: 0.5 LSB (round to nearest), < 1 LSB (TRN, TRN_ZERO), 0 (no right shift), over inputs whose result the output range holds (beyond it the overflow mode decides)".into(),
        })
    }
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        // Log-uniform magnitudes; pairs whose result overflows the output are redrawn.
        let n = batch.max(1) * 64 * self.lanes;
        let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n * 50 {
            if a.len() == n {
                break;
            }
            let (x, y) = (raw_log_uniform(rng, self.a), raw_log_uniform(rng, self.b));
            let z = rounded(self.exact_of(x, y), self.exact, self.output, self.rounding);
            if representable(z, self.output, self.overflow) {
                a.push(x);
                b.push(y);
            }
        }
        while !a.len().is_multiple_of(self.lanes) || a.is_empty() {
            a.push(0);
            b.push(0);
        }
        let rows = a.len() / self.lanes;
        TensorMap::from([
            (
                "a".to_string(),
                Tensor::new(vec![rows, self.lanes], a, self.a),
            ),
            (
                "b".to_string(),
                Tensor::new(vec![rows, self.lanes], b, self.b),
            ),
        ])
    }
}
