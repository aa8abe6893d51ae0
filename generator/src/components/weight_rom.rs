//! Descriptor of `weight_rom` (`mh_weight_rom`): streams a tensor held in a ROM,
//! initialised from a `.mem` file, word 0 first and wrapping forever. One word is one
//! beat of `PARALLELISM` lanes.

use std::collections::BTreeMap;

use golden::Format;

use super::common::{PARALLELISM, WIDTH, bits_corners, bits_format, bits_random};
use crate::component::{Behaviour, Component, Instance, MemDef, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct WeightRom;

/// Cycles from reset release to the first word on `data_out`.
pub const LATENCY: u64 = 1;

const PARAMS: &[ParamSpec] = &[
    WIDTH,
    PARALLELISM,
    ParamSpec::int("DEPTH", 1, 1 << 20, 8, "words (beats) in the ROM"),
    ParamSpec::int(
        "PASSES",
        1,
        1 << 16,
        2,
        "passes over the ROM that `sim` and `test` observe (not an SV parameter)",
    ),
];

impl Component for WeightRom {
    fn name(&self) -> &'static str {
        "weight_rom"
    }
    fn summary(&self) -> &'static str {
        "streams a tensor from a .mem-initialised ROM in block order, repeating, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        Ok(Box::new(RomInstance {
            params: p.clone(),
            format: bits_format(p),
            lanes: p.get_usize("PARALLELISM"),
            depth: p.get_usize("DEPTH"),
            passes: p.get_usize("PASSES"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        let mut v = bits_corners();
        v.extend([
            vec![("DEPTH", 1)],
            vec![("DEPTH", 2), ("PASSES", 5)],
            vec![("DEPTH", 13), ("WIDTH", 3), ("PASSES", 3)],
        ]);
        v
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let mut v = bits_random(rng);
        v.push(("DEPTH", rng.range(1, 40)));
        v.push(("PASSES", rng.range(1, 4)));
        v
    }
}

struct RomInstance {
    params: Params,
    format: Format,
    lanes: usize,
    depth: usize,
    passes: usize,
}

impl Instance for RomInstance {
    fn component(&self) -> &'static dyn Component {
        &WeightRom
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_weight_rom"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_weight_rom"]
    }
    fn sv_params(&self, mem_dir: &str) -> Vec<(String, SvValue)> {
        vec![
            (
                "DATA_WIDTH".into(),
                SvValue::Int((self.lanes as u32 * self.format.width()) as i64),
            ),
            ("DEPTH".into(), SvValue::Int(self.depth as i64)),
            (
                "MEM_FILE".into(),
                SvValue::Str(format!("{mem_dir}contents.mem")),
            ),
        ]
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![StreamDef::new(
            "data_out",
            Dir::Output,
            self.lanes,
            self.format,
            "data_out",
        )]
    }
    fn memories(&self) -> Vec<MemDef> {
        vec![MemDef {
            tensor: "contents".into(),
            param: "MEM_FILE".into(),
            file: "contents.mem".into(),
            depth: self.depth,
            word_width: self.lanes as u32 * self.format.width(),
        }]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        vec![
            TensorDef {
                name: "contents".into(),
                direction: Dir::Input,
                shape: vec![Dim::Fixed(self.depth), Dim::Fixed(self.lanes)],
                format: self.format,
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: vec![Dim::Fixed(self.passes * self.depth), Dim::Fixed(self.lanes)],
                format: self.format,
            },
        ]
    }
    fn behaviour(&self) -> Behaviour {
        // No input streams: words come from memory.
        Behaviour::new(false, &[])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: LATENCY,
            initiation_interval: 1,
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([(
            "memory_bits".to_string(),
            self.depth as u64 * self.lanes as u64 * u64::from(self.format.width()),
        )])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let c = crate::tensor::require(inputs, "weight_rom", "contents", "ROM contents")?;
        let raw: Vec<i128> = (0..self.passes)
            .flat_map(|_| c.raw.iter().copied())
            .collect();
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![self.passes * self.depth, self.lanes], raw, self.format),
        )]))
    }
}
