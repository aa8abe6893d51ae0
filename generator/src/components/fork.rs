//! Descriptor of `fork` (`mh_fork`): broadcasts every input beat to `N` output streams,
//! each of which may take it in a different cycle. The top splits the module's bundled
//! outputs into streams `data_out_0` … `data_out_{N-1}`.

use std::collections::BTreeMap;

use golden::Format;

use super::common::{
    N_WAYS, PARALLELISM, WIDTH, bits_format, n_way_corners, n_way_random, n_way_sv_params,
};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, TensorMap};

pub struct Fork;

const PARAMS: &[ParamSpec] = &[WIDTH, PARALLELISM, N_WAYS];

impl Component for Fork {
    fn name(&self) -> &'static str {
        "fork"
    }
    fn summary(&self) -> &'static str {
        "N-way broadcast; outputs take beats independently; no ready-to-valid path"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        Ok(Box::new(ForkInstance {
            params: p.clone(),
            format: bits_format(p),
            lanes: p.get_usize("PARALLELISM"),
            n: p.get_usize("N"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        n_way_corners()
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        n_way_random(rng)
    }
}

struct ForkInstance {
    params: Params,
    format: Format,
    lanes: usize,
    n: usize,
}

impl Instance for ForkInstance {
    fn component(&self) -> &'static dyn Component {
        &Fork
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_fork"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_fork"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        n_way_sv_params(&self.params)
    }
    fn streams(&self) -> Vec<StreamDef> {
        let mut v = vec![StreamDef::new(
            "data_in",
            Dir::Input,
            self.lanes,
            self.format,
            "data_in",
        )];
        for i in 0..self.n {
            let name = format!("data_out_{i}");
            v.push(
                StreamDef::new(&name, Dir::Output, self.lanes, self.format, &name)
                    .bundled("data_out", i, self.n),
            );
        }
        v
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let shape = vec![Dim::Batch, Dim::Multiple(self.lanes)];
        let mut v = vec![TensorDef {
            name: "data_in".into(),
            direction: Dir::Input,
            shape: shape.clone(),
            format: self.format,
        }];
        for i in 0..self.n {
            v.push(TensorDef {
                name: format!("data_out_{i}"),
                direction: Dir::Output,
                shape: shape.clone(),
                format: self.format,
            });
        }
        v
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(true, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: 0,
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for i in 0..self.n {
            v.push((format!("data_out_{i}_ready"), "data_in_ready".to_string()));
            v.push(("data_in_valid".to_string(), format!("data_out_{i}_valid")));
        }
        v
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([("register_bits".to_string(), self.n as u64)])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "fork", "data_in", "input")?;
        Ok((0..self.n)
            .map(|i| (format!("data_out_{i}"), x.clone()))
            .collect())
    }
}
