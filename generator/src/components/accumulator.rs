//! Descriptor of `accumulator` (`mh_accumulator`): lane-wise exact sum of `DEPTH`
//! consecutive beats, one output beat per group.

use std::collections::BTreeMap;

use golden::Format;

use super::common::format_of;
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct Accumulator;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 64, 16, "input lane width (bits, signed)"),
    ParamSpec::int(
        "IN_FRAC_WIDTH",
        -64,
        128,
        0,
        "input fractional bits (interpretation only)",
    ),
    ParamSpec::int("DEPTH", 1, 1 << 20, 8, "beats summed into one output beat"),
    ParamSpec::int("PARALLELISM", 1, 256, 4, "lanes per beat"),
];

impl Component for Accumulator {
    fn name(&self) -> &'static str {
        "accumulator"
    }
    fn summary(&self) -> &'static str {
        "lane-wise exact sum of DEPTH consecutive beats, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let input = format_of(self.name(), p, "IN")?;
        let depth = p.get_usize("DEPTH");
        let output = golden::accumulator::accumulator_format(input, depth).map_err(|source| {
            GenError::Fixed {
                component: self.name().into(),
                source,
            }
        })?;
        Ok(Box::new(AccInstance {
            params: p.clone(),
            input,
            output,
            depth,
            lanes: p.get_usize("PARALLELISM"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![("DEPTH", 1)],
            vec![("DEPTH", 2), ("IN_WIDTH", 1), ("PARALLELISM", 1)],
            vec![("DEPTH", 3), ("IN_WIDTH", 7), ("PARALLELISM", 3)],
            vec![("DEPTH", 13), ("IN_WIDTH", 13)],
            vec![("DEPTH", 64), ("IN_WIDTH", 64), ("PARALLELISM", 2)],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        vec![
            ("IN_WIDTH", rng.range(1, 40)),
            ("DEPTH", rng.range(1, 20)),
            ("PARALLELISM", rng.range(1, 8)),
        ]
    }
}

struct AccInstance {
    params: Params,
    input: Format,
    output: Format,
    depth: usize,
    lanes: usize,
}

impl Instance for AccInstance {
    fn component(&self) -> &'static dyn Component {
        &Accumulator
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_accumulator"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_accumulator"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        vec![
            ("IN_WIDTH".into(), SvValue::Int(self.input.width().into())),
            ("DEPTH".into(), SvValue::Int(self.depth as i64)),
            ("PARALLELISM".into(), SvValue::Int(self.lanes as i64)),
        ]
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("data_in", Dir::Input, self.lanes, self.input, "data_in"),
            StreamDef::new("data_out", Dir::Output, self.lanes, self.output, "data_out"),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: vec![Dim::Batch, Dim::Fixed(self.depth), Dim::Fixed(self.lanes)],
                format: self.input,
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: vec![Dim::Batch, Dim::Fixed(self.lanes)],
                format: self.output,
            },
        ]
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(
            false,
            &[("data_in", FirstOutput::Tensor { beats: self.depth })],
        )
    }
    fn timing(&self) -> Timing {
        // First input beat to the group's output beat: DEPTH - 1 more beats, then the register.
        Timing {
            latency: self.depth as u64,
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        vec![("data_out_ready".into(), "data_in_ready".into())]
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([
            ("adders".to_string(), self.lanes as u64),
            (
                "register_bits".to_string(),
                2 * self.lanes as u64 * u64::from(self.output.width()),
            ),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "accumulator", "data_in", "input")?;
        let raw = golden::accumulator::accumulate(&x.raw, self.lanes, self.depth);
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![x.shape[0], self.lanes], raw, self.output),
        )]))
    }
}
