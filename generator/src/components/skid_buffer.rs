//! Descriptor of `skid_buffer` (`mh_skid_buffer`): a two-entry register slice that
//! registers valid, data and ready, cutting every combinational path between its sides.

use super::common::{PARALLELISM, WIDTH, bits_corners, bits_random};
use super::passthrough::Passthrough;
use crate::component::{Component, Instance};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;

pub struct SkidBuffer;

const PARAMS: &[ParamSpec] = &[WIDTH, PARALLELISM];

impl Component for SkidBuffer {
    fn name(&self) -> &'static str {
        "skid_buffer"
    }
    fn summary(&self) -> &'static str {
        "register slice: registers valid, data and ready (cuts all paths), II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        Ok(Box::new(Passthrough::new(
            p,
            &SkidBuffer,
            "mh_skid_buffer",
            Vec::new(),
            1,
            2,
        )))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        bits_corners()
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        bits_random(rng)
    }
}
