//! Descriptor of `relu` (`mh_relu`): lane-wise `max(x, 0)` of a signed stream, then one
//! cast to the output format (the identity when the formats are equal).

use std::collections::BTreeMap;

use golden::{Format, Overflow, Rounding};

use super::common::{
    format_of, lanewise_streams, lanewise_tensors, raw_log_uniform, representable, rounded,
    rounding_error_lsb, sv_int_params,
};
use crate::component::{
    AccuracyBound, Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Tensor, TensorMap};

pub struct Relu;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 48, 16, "input lane width (bits, signed)"),
    ParamSpec::int("IN_FRAC_WIDTH", -16, 64, 8, "input fractional bits"),
    ParamSpec::int("OUT_WIDTH", 1, 48, 16, "output lane width (bits, signed)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -16, 64, 8, "output fractional bits"),
    ParamSpec::rounding("ROUNDING", "rounding mode of the output cast"),
    ParamSpec::overflow("OVERFLOW", "overflow mode of the output cast"),
    ParamSpec::int("PARALLELISM", 1, 256, 4, "lanes per beat"),
];

impl Component for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }
    fn summary(&self) -> &'static str {
        "lane-wise max(x, 0) of a signed stream with an output cast, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        Ok(Box::new(ReluInstance {
            params: p.clone(),
            input: format_of(self.name(), p, "IN")?,
            output: format_of(self.name(), p, "OUT")?,
            rounding: p.rounding("ROUNDING"),
            overflow: p.overflow("OVERFLOW"),
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
                ("IN_WIDTH", 7),
                ("IN_FRAC_WIDTH", 7),
                ("OUT_WIDTH", 5),
                ("OUT_FRAC_WIDTH", 2),
                ("ROUNDING", 6),
                ("PARALLELISM", 3),
            ],
            vec![
                ("IN_WIDTH", 13),
                ("IN_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 9),
                ("OUT_FRAC_WIDTH", 3),
                ("OVERFLOW", 0),
                ("PARALLELISM", 5),
            ],
            vec![
                ("IN_WIDTH", 16),
                ("IN_FRAC_WIDTH", 8),
                ("OUT_WIDTH", 8),
                ("OUT_FRAC_WIDTH", 4),
                ("ROUNDING", 0),
                ("PARALLELISM", 16),
            ],
            vec![
                ("IN_WIDTH", 48),
                ("IN_FRAC_WIDTH", 20),
                ("OUT_WIDTH", 48),
                ("OUT_FRAC_WIDTH", 20),
                ("PARALLELISM", 2),
            ],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let iw = rng.range(1, 24);
        let ow = rng.range(1, 24);
        vec![
            ("IN_WIDTH", iw),
            ("IN_FRAC_WIDTH", rng.range(0, iw)),
            ("OUT_WIDTH", ow),
            ("OUT_FRAC_WIDTH", rng.range(0, ow)),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", rng.range(0, 3)),
            ("PARALLELISM", rng.range(1, 8)),
        ]
    }
}

struct ReluInstance {
    params: Params,
    input: Format,
    output: Format,
    rounding: Rounding,
    overflow: Overflow,
    lanes: usize,
}

impl Instance for ReluInstance {
    fn component(&self) -> &'static dyn Component {
        &Relu
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_relu"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_cast_lane", "mh_relu"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        sv_int_params(&self.params, PARAMS.iter().map(|s| s.name))
    }
    fn streams(&self) -> Vec<StreamDef> {
        lanewise_streams(self.lanes, self.input, self.output)
    }
    fn tensors(&self) -> Vec<TensorDef> {
        lanewise_tensors(
            self.lanes,
            &[
                ("data_in", Dir::Input, self.input),
                ("data_out", Dir::Output, self.output),
            ],
        )
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(false, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: 1,
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        vec![("data_out_ready".into(), "data_in_ready".into())]
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([
            ("multipliers".to_string(), 0),
            ("table_entries".to_string(), 0),
            (
                "register_bits".to_string(),
                self.lanes as u64 * u64::from(self.output.width()) + 1,
            ),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "relu", "data_in", "input")?;
        let raw = golden::relu::relu(
            &x.raw,
            self.input,
            self.output,
            self.rounding,
            self.overflow,
        );
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(x.shape.clone(), raw, self.output),
        )]))
    }
    fn float_reference(
        &self,
        inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        let x = crate::tensor::require(inputs, "relu", "data_in", "input")?;
        let y = x
            .raw
            .iter()
            .map(|&v| golden::relu::relu_f64(self.input.to_f64(v)))
            .collect();
        Ok(Some(BTreeMap::from([("data_out".to_string(), y)])))
    }
    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        // Exact max(x, 0) (inputs <= 48 bits: exact in f64), rounded once.
        let r = rounding_error_lsb(self.rounding, self.input.frac(), self.output.frac());
        Some(AccuracyBound {
            max_lsb: r,
            note: "exact max(x, 0) rounded once: 0.5 LSB (round to nearest), < 1 LSB (TRN, TRN_ZERO), 0 (no right shift), over inputs whose result the output range holds (beyond it the overflow mode decides)".into(),
        })
    }
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        let (i, o) = (self.input, self.output);
        let fits =
            |x: i128| representable(rounded(x.max(0), i, o, self.rounding), o, self.overflow);
        let n = batch.max(1) * 64 * self.lanes;
        let mut raw = Vec::with_capacity(n);
        for _ in 0..n * 50 {
            if raw.len() == n {
                break;
            }
            let x = raw_log_uniform(rng, i);
            if fits(x) {
                raw.push(x);
            }
        }
        while !raw.len().is_multiple_of(self.lanes) || raw.is_empty() {
            raw.push(0);
        }
        let rows = raw.len() / self.lanes;
        TensorMap::from([(
            "data_in".to_string(),
            Tensor::new(vec![rows, self.lanes], raw, i),
        )])
    }
}
