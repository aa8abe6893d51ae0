//! Descriptor of `join` (`mh_join`): waits for one beat on each of `N` input streams and
//! emits them together as one output beat (input 0 in the low lanes). The top splits
//! the module's bundled inputs into streams `data_in_0` … `data_in_{N-1}`.

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
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct Join;

const PARAMS: &[ParamSpec] = &[WIDTH, PARALLELISM, N_WAYS];

impl Component for Join {
    fn name(&self) -> &'static str {
        "join"
    }
    fn summary(&self) -> &'static str {
        "N-way synchronising join into one registered beat (input 0 in low lanes), II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        Ok(Box::new(JoinInstance {
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

struct JoinInstance {
    params: Params,
    format: Format,
    lanes: usize,
    n: usize,
}

impl Instance for JoinInstance {
    fn component(&self) -> &'static dyn Component {
        &Join
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_join"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_join"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        n_way_sv_params(&self.params)
    }
    fn streams(&self) -> Vec<StreamDef> {
        let mut v: Vec<StreamDef> = (0..self.n)
            .map(|i| {
                let name = format!("data_in_{i}");
                StreamDef::new(&name, Dir::Input, self.lanes, self.format, &name)
                    .bundled("data_in", i, self.n)
            })
            .collect();
        v.push(StreamDef::new(
            "data_out",
            Dir::Output,
            self.lanes * self.n,
            self.format,
            "data_out",
        ));
        v
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let mut v: Vec<TensorDef> = (0..self.n)
            .map(|i| TensorDef {
                name: format!("data_in_{i}"),
                direction: Dir::Input,
                shape: vec![Dim::Batch, Dim::Fixed(self.lanes)],
                format: self.format,
            })
            .collect();
        v.push(TensorDef {
            name: "data_out".into(),
            direction: Dir::Output,
            shape: vec![Dim::Batch, Dim::Fixed(self.lanes * self.n)],
            format: self.format,
        });
        v
    }
    fn behaviour(&self) -> Behaviour {
        let inputs: Vec<(String, FirstOutput)> = (0..self.n)
            .map(|i| (format!("data_in_{i}"), FirstOutput::Beat))
            .collect();
        let refs: Vec<(&str, FirstOutput)> = inputs.iter().map(|(s, f)| (s.as_str(), *f)).collect();
        // Lanes of N streams side by side: only bits move.
        Behaviour::new(true, &refs)
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: 1,
            initiation_interval: 1,
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for i in 0..self.n {
            v.push(("data_out_ready".to_string(), format!("data_in_{i}_ready")));
            for j in 0..self.n {
                if i != j {
                    v.push((format!("data_in_{j}_valid"), format!("data_in_{i}_ready")));
                }
            }
        }
        v
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([(
            "register_bits".to_string(),
            (self.n * self.lanes) as u64 * u64::from(self.format.width()) + 1,
        )])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let parts: Vec<&Tensor> = (0..self.n)
            .map(|i| crate::tensor::require(inputs, "join", &format!("data_in_{i}"), "input"))
            .collect::<Result<_, _>>()?;
        let rows = parts[0].shape[0];
        let mut raw = Vec::with_capacity(rows * self.lanes * self.n);
        for r in 0..rows {
            for t in &parts {
                raw.extend_from_slice(&t.raw[r * self.lanes..(r + 1) * self.lanes]);
            }
        }
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![rows, self.lanes * self.n], raw, self.format),
        )]))
    }
}
