//! Descriptor of `fifo` (`mh_fifo`): a synchronous FIFO of `DEPTH` beats whose memory
//! maps to block RAM or LUT RAM, with registered handshakes on both sides.

use super::common::{PARALLELISM, WIDTH, bits_corners, bits_random};
use super::passthrough::Passthrough;
use crate::component::{Component, Instance};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::SvValue;

pub struct Fifo;

/// Cycles from a beat entering an empty FIFO to it leaving.
pub const LATENCY: u64 = 2;

const PARAMS: &[ParamSpec] = &[
    WIDTH,
    PARALLELISM,
    ParamSpec::int("DEPTH", 2, 1 << 20, 16, "capacity (beats)"),
];

impl Component for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }
    fn summary(&self) -> &'static str {
        "synchronous FIFO, DEPTH beats, block-RAM inferable, registered handshakes, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let extra = vec![("DEPTH".to_string(), SvValue::Int(p.get("DEPTH")))];
        // Capacity: DEPTH beats in memory plus the output register.
        let capacity = p.get("DEPTH") as u64 + 1;
        Ok(Box::new(Passthrough::new(
            p, &Fifo, "mh_fifo", extra, LATENCY, capacity,
        )))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        let mut v = bits_corners();
        v.extend([
            vec![("DEPTH", 2)],
            vec![("DEPTH", 3), ("WIDTH", 1)],
            vec![("DEPTH", 5)],
            vec![("DEPTH", 64)],
        ]);
        v
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let mut v = bits_random(rng);
        v.push(("DEPTH", rng.range(2, 40)));
        v
    }
}
