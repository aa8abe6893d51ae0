//! Descriptor of `resize` (`mh_resize`): a lane-width converter (gearbox) between a
//! stream of `IN_PARALLELISM` and one of `OUT_PARALLELISM` raw `WIDTH`-bit lanes, for
//! any pair. Elements keep their order; tensor rows must be a multiple of
//! lcm(IN, OUT). The narrower stream moves one beat per cycle; every handshake output
//! is registered.

use std::collections::BTreeMap;

use golden::Format;
use golden::resize::{gcd, row_multiple};

use super::common::{WIDTH, bits_format};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct Resize;

const PARAMS: &[ParamSpec] = &[
    WIDTH,
    ParamSpec::int("IN_PARALLELISM", 1, 256, 4, "lanes per input beat"),
    ParamSpec::int("OUT_PARALLELISM", 1, 256, 2, "lanes per output beat"),
];

/// Elements `mh_resize` buffers for `in_lanes` → `out_lanes`: with g = gcd, a = in/g,
/// b = out/g, `g · (max(a, b) + 2·min(a, b) − 1)` — the least that keeps the narrow
/// side busy every cycle with registered handshakes (`CAP_CHUNKS` in the SV).
pub fn capacity_elements(in_lanes: usize, out_lanes: usize) -> usize {
    let g = gcd(in_lanes, out_lanes);
    let (a, b) = (in_lanes / g, out_lanes / g);
    g * (a.max(b) + 2 * a.min(b) - 1)
}

/// Cycles from the first input beat taken to the first output beat with no stalls:
/// ceil(out / in) (1 when narrowing or equal).
pub fn latency(in_lanes: usize, out_lanes: usize) -> u64 {
    out_lanes.div_ceil(in_lanes) as u64
}

impl Component for Resize {
    fn name(&self) -> &'static str {
        "resize"
    }
    fn summary(&self) -> &'static str {
        "lane-width converter, any IN -> OUT lanes, order kept, registered handshakes, II 1 on the narrow side"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        Ok(Box::new(ResizeInstance {
            params: p.clone(),
            format: bits_format(p),
            in_lanes: p.get_usize("IN_PARALLELISM"),
            out_lanes: p.get_usize("OUT_PARALLELISM"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        let pair = |i: i64, o: i64| vec![("IN_PARALLELISM", i), ("OUT_PARALLELISM", o)];
        let with_width = |mut v: Vec<(&'static str, i64)>, w: i64| {
            v.push(("WIDTH", w));
            v
        };
        vec![
            with_width(pair(4, 4), 64),
            with_width(pair(1, 4), 1),
            pair(4, 1),
            pair(2, 8),
            with_width(pair(8, 2), 7),
            pair(3, 2),
            with_width(pair(2, 3), 13),
            pair(4, 6),
            with_width(pair(16, 1), 64),
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        // A common factor times two small cofactors: divisible, coprime and mixed pairs.
        let g = rng.range(1, 4);
        vec![
            ("WIDTH", rng.range(1, 40)),
            ("IN_PARALLELISM", g * rng.range(1, 8)),
            ("OUT_PARALLELISM", g * rng.range(1, 8)),
        ]
    }
}

struct ResizeInstance {
    params: Params,
    format: Format,
    in_lanes: usize,
    out_lanes: usize,
}

impl Instance for ResizeInstance {
    fn component(&self) -> &'static dyn Component {
        &Resize
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_resize"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_resize"]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        PARAMS
            .iter()
            .map(|s| (s.name.to_string(), SvValue::Int(self.params.get(s.name))))
            .collect()
    }
    fn streams(&self) -> Vec<StreamDef> {
        vec![
            StreamDef::new("data_in", Dir::Input, self.in_lanes, self.format, "data_in"),
            StreamDef::new(
                "data_out",
                Dir::Output,
                self.out_lanes,
                self.format,
                "data_out",
            ),
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let row = row_multiple(self.in_lanes, self.out_lanes);
        ["data_in", "data_out"]
            .iter()
            .zip([Dir::Input, Dir::Output])
            .map(|(name, direction)| TensorDef {
                name: (*name).to_string(),
                direction,
                shape: vec![Dim::Batch, Dim::Multiple(row)],
                format: self.format,
            })
            .collect()
    }
    fn behaviour(&self) -> Behaviour {
        // Regroups lanes: an output beat follows the input beats it gathers, no row.
        Behaviour::new(true, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: latency(self.in_lanes, self.out_lanes),
            initiation_interval: 1,
            ii_stream: if self.in_lanes <= self.out_lanes {
                "data_in".into()
            } else {
                "data_out".into()
            },
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let cap = capacity_elements(self.in_lanes, self.out_lanes) as u64;
        BTreeMap::from([
            ("capacity_elements".to_string(), cap),
            (
                "buffer_bits".to_string(),
                cap * u64::from(self.format.width()),
            ),
        ])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "resize", "data_in", "input")?;
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(x.shape.clone(), golden::resize::resize(&x.raw), x.format),
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_and_latency_formulas() {
        // (in, out, capacity, latency)
        for (i, o, cap, lat) in [
            (4, 4, 8, 1),
            (1, 4, 5, 4),
            (4, 1, 5, 1),
            (2, 8, 10, 4),
            (8, 2, 10, 1),
            (3, 2, 6, 1),
            (2, 3, 6, 2),
            (4, 6, 12, 2),
            (16, 1, 17, 1),
            (1, 1, 2, 1),
        ] {
            assert_eq!(capacity_elements(i, o), cap, "{i}->{o}");
            assert_eq!(latency(i, o), lat, "{i}->{o}");
        }
    }

    #[test]
    fn signature_follows_the_narrow_side() {
        let w = Resize
            .configure(&[("IN_PARALLELISM", 2), ("OUT_PARALLELISM", 8)])
            .unwrap();
        assert_eq!(w.timing().ii_stream, "data_in");
        assert_eq!(w.tensors()[0].shape, vec![Dim::Batch, Dim::Multiple(8)]);
        let n = Resize
            .configure(&[("IN_PARALLELISM", 3), ("OUT_PARALLELISM", 2)])
            .unwrap();
        assert_eq!(n.timing().ii_stream, "data_out");
        assert_eq!(n.tensors()[1].shape, vec![Dim::Batch, Dim::Multiple(6)]);
        assert_eq!(n.resources()["buffer_bits"], 6 * 16);
    }

    #[test]
    fn rejects_zero_lanes() {
        assert!(Resize.configure(&[("IN_PARALLELISM", 0)]).is_err());
        assert!(Resize.configure(&[("OUT_PARALLELISM", 257)]).is_err());
    }
}
