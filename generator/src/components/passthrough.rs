//! `Passthrough`: the descriptor shape shared by every one-input, one-output component
//! that delivers its input unchanged (`skid_buffer`, `fifo`): lane-wise streams and
//! tensors, the identity golden model, a bit mover's behaviour, and the latency and
//! capacity its component states. It is not a component itself (no name, no parameters).

use std::collections::BTreeMap;

use golden::Format;

use super::common::{bits_format, lanewise_streams, lanewise_tensors};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::Params;
use crate::sv::{Dir, SvValue};
use crate::tensor::TensorMap;

/// A one-input, one-output component that delivers its input unchanged (skid buffer,
/// FIFO): the golden model is the identity.
pub(super) struct Passthrough {
    pub params: Params,
    pub component: &'static dyn Component,
    pub module: &'static str,
    pub format: Format,
    pub lanes: usize,
    /// Extra SV parameters after DATA_WIDTH.
    pub extra: Vec<(String, SvValue)>,
    /// Cycles from a beat entering an empty module to it leaving.
    pub latency: u64,
    /// Beats the module holds when full.
    pub capacity: u64,
}

impl Passthrough {
    pub fn new(
        p: &Params,
        component: &'static dyn Component,
        module: &'static str,
        extra: Vec<(String, SvValue)>,
        latency: u64,
        capacity: u64,
    ) -> Self {
        Passthrough {
            params: p.clone(),
            component,
            module,
            format: bits_format(p),
            lanes: p.get_usize("PARALLELISM"),
            extra,
            latency,
            capacity,
        }
    }
    fn data_width(&self) -> u64 {
        self.lanes as u64 * u64::from(self.format.width())
    }
}

impl Instance for Passthrough {
    fn component(&self) -> &'static dyn Component {
        self.component
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        self.module
    }
    fn library(&self) -> Vec<&'static str> {
        vec![self.module]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        let mut v = vec![(
            "DATA_WIDTH".to_string(),
            SvValue::Int(self.data_width() as i64),
        )];
        v.extend(self.extra.iter().cloned());
        v
    }
    fn streams(&self) -> Vec<StreamDef> {
        lanewise_streams(self.lanes, self.format, self.format)
    }
    fn tensors(&self) -> Vec<TensorDef> {
        lanewise_tensors(
            self.lanes,
            &[
                ("data_in", Dir::Input, self.format),
                ("data_out", Dir::Output, self.format),
            ],
        )
    }
    fn behaviour(&self) -> Behaviour {
        Behaviour::new(true, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: self.latency,
            initiation_interval: 1,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([
            ("capacity_beats".to_string(), self.capacity),
            ("memory_bits".to_string(), self.capacity * self.data_width()),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, self.component.name(), "data_in", "input")?;
        Ok(TensorMap::from([("data_out".to_string(), x.clone())]))
    }
}
