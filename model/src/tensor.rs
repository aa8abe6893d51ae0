//! A dense row-major tensor: a shape and a flat vector of elements. Weights are held
//! as `Tensor<f32>` (what checkpoints store, half the memory), activations of the
//! float reference as `Tensor<f64>`. No arithmetic lives here beyond construction.

/// A dense row-major tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<T = f64> {
    /// Axis sizes, outermost first.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` elements, last axis fastest.
    pub data: Vec<T>,
}

impl<T: Copy + Default> Tensor<T> {
    /// A tensor of zeros (`T::default()`).
    pub fn zeros(shape: &[usize]) -> Tensor<T> {
        Tensor {
            shape: shape.to_vec(),
            data: vec![T::default(); shape.iter().product()],
        }
    }
}

impl<T> Tensor<T> {
    /// A tensor from its parts, or `None` if `data` does not hold `shape`'s element count.
    pub fn new(shape: Vec<usize>, data: Vec<T>) -> Option<Tensor<T>> {
        (shape.iter().product::<usize>() == data.len()).then_some(Tensor { shape, data })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Size of the last axis (1 for a scalar).
    pub fn last_dim(&self) -> usize {
        self.shape.last().copied().unwrap_or(1)
    }
}

impl Tensor<f64> {
    /// Largest absolute value (0 for an empty tensor; NaN is ignored).
    pub fn max_abs(&self) -> f64 {
        self.data.iter().fold(0.0, |m, v| m.max(v.abs()))
    }
}

impl Tensor<f32> {
    /// Largest absolute value (0 for an empty tensor; NaN is ignored).
    pub fn max_abs(&self) -> f64 {
        self.data
            .iter()
            .fold(0.0f64, |m, v| m.max(f64::from(v.abs())))
    }
}
