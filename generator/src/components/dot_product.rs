//! Descriptor of `dot_product` (`mh_dot_product`): pairs a `data_in` beat with a
//! `weight` beat and emits their exact dot product (products registered, then an adder
//! tree).

use std::collections::BTreeMap;

use golden::Format;

use super::common::{clog2, format_of};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct DotProduct;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 64, 8, "data lane width (bits, signed)"),
    ParamSpec::int(
        "IN_FRAC_WIDTH",
        -64,
        128,
        4,
        "data fractional bits (interpretation only)",
    ),
    ParamSpec::int("WEIGHT_WIDTH", 1, 64, 8, "weight lane width (bits, signed)"),
    ParamSpec::int(
        "WEIGHT_FRAC_WIDTH",
        -64,
        128,
        4,
        "weight fractional bits (interpretation only)",
    ),
    ParamSpec::int("PARALLELISM", 1, 256, 4, "lanes per beat"),
];

impl Component for DotProduct {
    fn name(&self) -> &'static str {
        "dot_product"
    }
    fn summary(&self) -> &'static str {
        "exact dot product of a data beat and a weight beat, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let input = format_of(self.name(), p, "IN")?;
        let weight = format_of(self.name(), p, "WEIGHT")?;
        let lanes = p.get_usize("PARALLELISM");
        let output =
            golden::dot_product::dot_product_format(input, weight, lanes).map_err(|source| {
                GenError::Fixed {
                    component: self.name().into(),
                    source,
                }
            })?;
        Ok(Box::new(DotInstance {
            params: p.clone(),
            input,
            weight,
            output,
            lanes,
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![("PARALLELISM", 1)],
            vec![("PARALLELISM", 1), ("IN_WIDTH", 1), ("WEIGHT_WIDTH", 1)],
            vec![("PARALLELISM", 3), ("IN_WIDTH", 7), ("WEIGHT_WIDTH", 13)],
            vec![("PARALLELISM", 16), ("IN_WIDTH", 16), ("WEIGHT_WIDTH", 16)],
            vec![
                ("PARALLELISM", 5),
                ("IN_WIDTH", 32),
                ("WEIGHT_WIDTH", 32),
                ("IN_FRAC_WIDTH", 0),
                ("WEIGHT_FRAC_WIDTH", 32),
            ],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        vec![
            ("IN_WIDTH", rng.range(1, 24)),
            ("WEIGHT_WIDTH", rng.range(1, 24)),
            ("IN_FRAC_WIDTH", rng.range(0, 8)),
            ("WEIGHT_FRAC_WIDTH", rng.range(0, 8)),
            ("PARALLELISM", rng.range(1, 20)),
        ]
    }
}

struct DotInstance {
    params: Params,
    input: Format,
    weight: Format,
    output: Format,
    lanes: usize,
}

impl Instance for DotInstance {
    fn component(&self) -> &'static dyn Component {
        &DotProduct
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_dot_product"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_adder_tree", "mh_dot_product"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        vec![
            ("IN_WIDTH".into(), SvValue::Int(self.input.width().into())),
            (
                "WEIGHT_WIDTH".into(),
                SvValue::Int(self.weight.width().into()),
            ),
            ("PARALLELISM".into(), SvValue::Int(self.lanes as i64)),
        ]
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("data_in", Dir::Input, self.lanes, self.input, "data_in"),
            StreamDef::new("weight", Dir::Input, self.lanes, self.weight, "weight"),
            StreamDef::new("data_out", Dir::Output, 1, self.output, "data_out"),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let shape = vec![Dim::Batch, Dim::Fixed(self.lanes)];
        vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: shape.clone(),
                format: self.input,
            },
            TensorDef {
                name: "weight".into(),
                direction: Dir::Input,
                shape,
                format: self.weight,
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
        Behaviour::new(
            false,
            &[
                ("data_in", FirstOutput::Beat),
                ("weight", FirstOutput::Beat),
            ],
        )
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: 1 + u64::from(clog2(self.lanes).max(1)),
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        vec![
            ("data_out_ready".into(), "data_in_ready".into()),
            ("data_out_ready".into(), "weight_ready".into()),
            ("weight_valid".into(), "data_in_ready".into()),
            ("data_in_valid".into(), "weight_ready".into()),
        ]
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([
            ("multipliers".to_string(), self.lanes as u64),
            ("adders".to_string(), self.lanes.saturating_sub(1) as u64),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "dot_product", "data_in", "input")?;
        let w = crate::tensor::require(inputs, "dot_product", "weight", "input")?;
        let raw = golden::dot_product::dot_product(&x.raw, &w.raw, self.lanes);
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![x.shape[0], 1], raw, self.output),
        )]))
    }
}
