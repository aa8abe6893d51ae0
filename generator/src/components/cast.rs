//! Descriptor of `cast` (`mh_cast`): lane-wise requantisation from any fixed-point
//! format to any other with the seven rounding and four overflow modes.

use std::collections::BTreeMap;

use golden::{Format, Overflow, Rounding};

use super::common::{format_of, lanewise_streams, lanewise_tensors, pick_format, sv_int_params};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Tensor, TensorMap};

pub struct Cast;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 64, 16, "input lane width (bits)"),
    ParamSpec::int("IN_FRAC_WIDTH", -64, 128, 8, "input fractional bits"),
    ParamSpec::bool("IN_SIGNED", true, "input is two's complement"),
    ParamSpec::int("OUT_WIDTH", 1, 64, 8, "output lane width (bits)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -64, 128, 4, "output fractional bits"),
    ParamSpec::bool("OUT_SIGNED", true, "output is two's complement"),
    ParamSpec::rounding("ROUNDING", "rounding mode"),
    ParamSpec::overflow("OVERFLOW", "overflow mode"),
    ParamSpec::int("PARALLELISM", 1, 256, 4, "lanes per beat"),
];

impl Component for Cast {
    fn name(&self) -> &'static str {
        "cast"
    }
    fn summary(&self) -> &'static str {
        "requantise lanes between any two fixed-point formats (7 rounding x 4 overflow modes)"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let input = format_of(self.name(), p, "IN")?;
        let output = format_of(self.name(), p, "OUT")?;
        Ok(Box::new(CastInstance {
            params: p.clone(),
            input,
            output,
            rounding: p.rounding("ROUNDING"),
            overflow: p.overflow("OVERFLOW"),
            lanes: p.get_usize("PARALLELISM"),
        }))
    }

    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        let mut v: Vec<Vec<(&'static str, i64)>> = Vec::new();
        // Every rounding x overflow pair, narrowing with a right shift (ties occur).
        for r in Rounding::ALL {
            for o in Overflow::ALL {
                v.push(vec![
                    ("ROUNDING", i64::from(r.code())),
                    ("OVERFLOW", i64::from(o.code())),
                ]);
            }
        }
        v.extend([
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
                ("OUT_WIDTH", 13),
                ("OUT_FRAC_WIDTH", 0),
                ("PARALLELISM", 3),
            ],
            vec![
                ("IN_WIDTH", 13),
                ("IN_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 7),
                ("OUT_FRAC_WIDTH", 7),
                ("OVERFLOW", 0),
            ],
            vec![
                ("IN_WIDTH", 13),
                ("IN_FRAC_WIDTH", 3),
                ("OUT_WIDTH", 7),
                ("OUT_FRAC_WIDTH", 7),
                ("OVERFLOW", 3),
            ],
            vec![
                ("IN_SIGNED", 0),
                ("OUT_SIGNED", 1),
                ("IN_WIDTH", 8),
                ("OUT_WIDTH", 8),
                ("IN_FRAC_WIDTH", 2),
                ("OUT_FRAC_WIDTH", 1),
            ],
            vec![
                ("IN_SIGNED", 1),
                ("OUT_SIGNED", 0),
                ("ROUNDING", 6),
                ("OVERFLOW", 1),
            ],
            vec![
                ("IN_SIGNED", 1),
                ("OUT_SIGNED", 0),
                ("ROUNDING", 5),
                ("OVERFLOW", 0),
            ],
            vec![
                ("IN_WIDTH", 64),
                ("IN_FRAC_WIDTH", 64),
                ("OUT_WIDTH", 64),
                ("OUT_FRAC_WIDTH", -3),
                ("ROUNDING", 6),
            ],
            vec![
                ("IN_WIDTH", 64),
                ("IN_FRAC_WIDTH", 0),
                ("OUT_WIDTH", 5),
                ("OUT_FRAC_WIDTH", 1),
                ("OVERFLOW", 2),
            ],
            vec![
                ("IN_WIDTH", 10),
                ("IN_FRAC_WIDTH", 30),
                ("OUT_WIDTH", 4),
                ("OUT_FRAC_WIDTH", 2),
                ("ROUNDING", 4),
            ],
            vec![
                ("PARALLELISM", 16),
                ("IN_WIDTH", 16),
                ("OUT_WIDTH", 16),
                ("OUT_FRAC_WIDTH", 8),
            ],
        ]);
        v
    }

    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let (iw, ifr, is) = pick_format(rng, 64);
        let (ow, ofr, os) = pick_format(rng, 64);
        vec![
            ("IN_WIDTH", iw),
            ("IN_FRAC_WIDTH", ifr),
            ("IN_SIGNED", is),
            ("OUT_WIDTH", ow),
            ("OUT_FRAC_WIDTH", ofr),
            ("OUT_SIGNED", os),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", rng.range(0, 3)),
            ("PARALLELISM", rng.range(1, 8)),
        ]
    }
}

struct CastInstance {
    params: Params,
    input: Format,
    output: Format,
    rounding: Rounding,
    overflow: Overflow,
    lanes: usize,
}

impl Instance for CastInstance {
    fn component(&self) -> &'static dyn Component {
        &Cast
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_cast"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_cast_lane", "mh_cast"]
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
        BTreeMap::from([(
            "register_bits".into(),
            (self.lanes as u64) * u64::from(self.output.width()) + 1,
        )])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "cast", "data_in", "input")?;
        let raw = golden::cast::cast_slice(
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
}
