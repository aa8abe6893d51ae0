//! Descriptor of `mul` (`mh_mul`): elementwise product of two signed streams `a` and `b`
//! in possibly different formats (gating, scaling), exact product (width Wa + Wb)
//! registered, then cast once. Shared body in `elementwise.rs`.

use super::elementwise::{self, Op};
use crate::component::{Component, Instance};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;

pub struct Mul;

impl Component for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn summary(&self) -> &'static str {
        "elementwise a * b of two streams in any signed formats, exact then one cast, II 1"
    }
    fn params(&self) -> &'static [ParamSpec] {
        elementwise::PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        elementwise::elaborate(&Mul, Op::Mul, p)
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        elementwise::corners()
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        elementwise::random(rng)
    }
}
