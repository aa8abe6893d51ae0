//! Descriptor of `add` (`mh_add`): elementwise sum of two signed streams `a` and `b` in
//! possibly different formats (residual connections), aligned to the common frac
//! exactly and cast once. Shared body in `elementwise.rs`.

use super::elementwise::{self, Op};
use crate::component::{Component, Instance};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;

pub struct Add;

impl Component for Add {
    fn name(&self) -> &'static str {
        "add"
    }
    fn summary(&self) -> &'static str {
        "elementwise a + b of two streams in any signed formats, exact then one cast, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        elementwise::PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        elementwise::elaborate(&Add, Op::Add, p)
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        elementwise::corners()
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        elementwise::random(rng)
    }
}
