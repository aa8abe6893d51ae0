//! Integer tensors as they cross the boundary between users, golden models and
//! simulators: a shape, raw fixed-point codes in logical row-major order, and a format.
//! Also the block ordering that turns a tensor into stream beats (innermost dimension
//! first, `lanes` consecutive elements per beat) and back.

use std::collections::BTreeMap;

use golden::Format;

use crate::error::GenError;

/// A tensor of raw codes; value of element i = `raw[i] / 2^format.frac()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub raw: Vec<i128>,
    pub format: Format,
}

/// One dimension of a tensor's expected shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    /// Exactly this size.
    Fixed(usize),
    /// The free batch dimension (rows), the same in every tensor of one run.
    Batch,
    /// Any positive multiple of this size.
    Multiple(usize),
}

impl Dim {
    pub fn admits(self, size: usize) -> bool {
        match self {
            Dim::Fixed(n) => size == n,
            Dim::Batch => size >= 1,
            Dim::Multiple(m) => size >= 1 && m > 0 && size.is_multiple_of(m),
        }
    }
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Batch => f.write_str("N"),
            Dim::Multiple(m) => write!(f, "{m}k"),
        }
    }
}

impl serde::Serialize for Dim {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Named tensors, in name order.
pub type TensorMap = BTreeMap<String, Tensor>;

/// One beat: one raw code per lane, lane 0 first.
pub type Beat = Vec<i128>;

impl Tensor {
    pub fn new(shape: Vec<usize>, raw: Vec<i128>, format: Format) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), raw.len());
        Tensor { shape, raw, format }
    }

    /// Number of elements the shape implies.
    pub fn numel(shape: &[usize]) -> usize {
        shape.iter().product()
    }

    /// Block order: consecutive groups of `lanes` elements in row-major order. The
    /// innermost dimension must be a multiple of `lanes`.
    pub fn to_beats(
        &self,
        component: &str,
        name: &str,
        lanes: usize,
    ) -> Result<Vec<Beat>, GenError> {
        let inner = self.shape.last().copied().unwrap_or(1);
        if lanes == 0 || inner % lanes != 0 {
            return Err(GenError::bad_tensor(
                component,
                name,
                format!(
                    "innermost dimension {inner} is not a multiple of the {lanes} lanes of its stream"
                ),
            ));
        }
        Ok(self.raw.chunks(lanes).map(<[i128]>::to_vec).collect())
    }

    /// Checks that `shape` matches `expected` dimension by dimension.
    pub fn check_shape(
        &self,
        component: &str,
        name: &str,
        expected: &[Dim],
    ) -> Result<(), GenError> {
        let ok = self.shape.len() == expected.len()
            && self.shape.iter().zip(expected).all(|(&s, e)| e.admits(s));
        if ok {
            return Ok(());
        }
        let want: Vec<String> = expected.iter().map(Dim::to_string).collect();
        Err(GenError::bad_tensor(
            component,
            name,
            format!(
                "shape {:?} does not match [{}] (N: any size >= 1, shared by all tensors; Mk: a multiple of M)",
                self.shape,
                want.join(", ")
            ),
        ))
    }

    /// Checks every code lies within the tensor's format.
    pub fn check_range(&self, component: &str, name: &str) -> Result<(), GenError> {
        let (lo, hi) = (self.format.min_raw(), self.format.max_raw());
        // One branch-free pass in the common (valid) case; the position only on failure.
        let bad = self.raw.iter().fold(false, |b, &r| b | (r < lo) | (r > hi));
        if !bad {
            return Ok(());
        }
        match self.raw.iter().position(|&r| !self.format.contains(r)) {
            None => Ok(()),
            Some(i) => Err(GenError::bad_tensor(
                component,
                name,
                format!(
                    "element {i} = {} is outside the {} range {}..={}",
                    self.raw[i],
                    self.format,
                    self.format.min_raw(),
                    self.format.max_raw()
                ),
            )),
        }
    }
}

/// Flattens beats back into row-major order.
pub fn from_beats(beats: &[Beat]) -> Vec<i128> {
    beats.iter().flatten().copied().collect()
}

/// Looks up a tensor that a component requires.
pub fn require<'a>(
    inputs: &'a TensorMap,
    component: &str,
    name: &str,
    what: &str,
) -> Result<&'a Tensor, GenError> {
    inputs.get(name).ok_or_else(|| GenError::MissingTensor {
        component: component.to_string(),
        tensor: name.to_string(),
        what: what.to_string(),
    })
}
