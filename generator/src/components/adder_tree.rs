//! Descriptor of `adder_tree` (`mh_adder_tree`): exact sum of `IN_SIZE` signed lanes,
//! one pipeline register per tree level.

use std::collections::BTreeMap;

use golden::Format;

use super::common::{clog2, format_of};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct AdderTree;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 64, 16, "input lane width (bits, signed)"),
    ParamSpec::int(
        "IN_FRAC_WIDTH",
        -64,
        128,
        0,
        "input fractional bits (interpretation only)",
    ),
    ParamSpec::int("IN_SIZE", 1, 256, 8, "lanes summed"),
];

impl Component for AdderTree {
    fn name(&self) -> &'static str {
        "adder_tree"
    }
    fn summary(&self) -> &'static str {
        "exact sum of IN_SIZE signed lanes, registered per level, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let input = format_of(self.name(), p, "IN")?;
        let size = p.get_usize("IN_SIZE");
        let output = golden::adder_tree::adder_tree_format(input, size).map_err(|source| {
            GenError::Fixed {
                component: self.name().into(),
                source,
            }
        })?;
        Ok(Box::new(TreeInstance {
            params: p.clone(),
            input,
            output,
            size,
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![("IN_SIZE", 1)],
            vec![("IN_SIZE", 2), ("IN_WIDTH", 1)],
            vec![("IN_SIZE", 3), ("IN_WIDTH", 7)],
            vec![("IN_SIZE", 13), ("IN_WIDTH", 13)],
            vec![("IN_SIZE", 16), ("IN_WIDTH", 64)],
            vec![("IN_SIZE", 33), ("IN_WIDTH", 8), ("IN_FRAC_WIDTH", 8)],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        vec![
            ("IN_WIDTH", rng.range(1, 40)),
            ("IN_SIZE", rng.range(1, 40)),
            ("IN_FRAC_WIDTH", rng.range(0, 8)),
        ]
    }
}

struct TreeInstance {
    params: Params,
    input: Format,
    output: Format,
    size: usize,
}

impl Instance for TreeInstance {
    fn component(&self) -> &'static dyn Component {
        &AdderTree
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_adder_tree"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_adder_tree"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        vec![
            ("IN_WIDTH".into(), SvValue::Int(self.input.width().into())),
            ("IN_SIZE".into(), SvValue::Int(self.size as i64)),
        ]
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("data_in", Dir::Input, self.size, self.input, "data_in"),
            StreamDef::new("data_out", Dir::Output, 1, self.output, "data_out"),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: vec![Dim::Batch, Dim::Fixed(self.size)],
                format: self.input,
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: vec![Dim::Batch, Dim::Fixed(1)],
                format: self.output,
            },
        ]
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(false, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: u64::from(clog2(self.size).max(1)),
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        vec![("data_out_ready".into(), "data_in_ready".into())]
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([("adders".to_string(), self.size.saturating_sub(1) as u64)])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "adder_tree", "data_in", "input")?;
        let raw = golden::adder_tree::adder_tree(&x.raw, self.size);
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![x.shape[0], 1], raw, self.output),
        )]))
    }
}
