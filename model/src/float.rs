//! The float reference: executes a [`Graph`] with given [`Weights`] in `f64` and keeps
//! every node's output.
//!
//! It is the accuracy yardstick for the quantized hardware (per-layer cosine and error
//! via [`compare`]) and the calibration run behind `frac = "auto"` for activations
//! ([`Activations::ranges`]). Arithmetic follows the op definitions of
//! [`crate::graph`]: linear and matmul accumulate in `f64` with eight interleaved
//! partial sums in a fixed order (deterministic, vectorisable). The products are
//! blocked for the caches (weight rows widened a panel at a time and reused for every
//! input row), run in AVX registers where the CPU has them (plain multiplies and adds,
//! no FMA, so the roundings are those of the portable code), and output columns and
//! rows are spread over the available cores: none of this changes any result bit.
//! Softmax subtracts the row maximum before `exp`, layernorm uses the two-pass
//! population variance plus `eps`, and GELU is the exact erf-based one
//! ([`crate::erf::gelu`]). Weights are read as stored (`f32`) and widened. It is not
//! fixed-point: nothing here rounds to a hardware format.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::erf;
use crate::graph::{Graph, GraphError, Op};
use crate::rng::Rng;
use crate::tensor::Tensor;
use crate::weights::Weights;

/// Why the reference could not run.
#[derive(Debug, Error)]
pub enum FloatError {
    /// The graph is not valid.
    #[error("float reference: {0}")]
    Graph(#[from] GraphError),
    /// An `input` node was given no tensor.
    #[error("float reference: no tensor given for input `{node}`")]
    MissingInput {
        /// The input node.
        node: String,
    },
    /// An input tensor has the wrong shape.
    #[error("float reference: input `{node}` has shape {actual:?}, the model expects {expected:?}")]
    InputShape {
        /// The input node.
        node: String,
        /// Declared shape.
        expected: Vec<usize>,
        /// Given shape.
        actual: Vec<usize>,
    },
    /// A parameter has no weights, or weights of the wrong shape.
    #[error("float reference: node `{node}`: parameter `{param}` {problem}")]
    Param {
        /// The reading node.
        node: String,
        /// The parameter.
        param: String,
        /// What is wrong.
        problem: String,
    },
}

/// Every node's output of one run, by node name.
#[derive(Clone, Debug, PartialEq)]
pub struct Activations {
    values: BTreeMap<String, Tensor<f64>>,
    order: Vec<String>,
}

impl Activations {
    /// The output of node `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor<f64>> {
        self.values.get(name)
    }

    /// Node names and outputs in graph order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor<f64>)> {
        self.order
            .iter()
            .filter_map(|n| self.values.get(n).map(|t| (n.as_str(), t)))
    }

    /// Largest absolute value of every node's output, by node name (the calibration
    /// ranges for `frac = "auto"`).
    pub fn ranges(&self) -> BTreeMap<String, f64> {
        self.values
            .iter()
            .map(|(k, v)| (k.clone(), v.max_abs()))
            .collect()
    }

    /// The `q`-quantile (`0 < q ≤ 1`) of every node's absolute values, by node name: a
    /// calibration range that lets the rarest `1 − q` of the elements saturate in
    /// exchange for resolution (`q = 1` is [`Activations::ranges`]).
    pub fn quantile_ranges(&self, q: f64) -> BTreeMap<String, f64> {
        self.values
            .iter()
            .map(|(k, v)| {
                let mut a: Vec<f64> = v.data.iter().map(|x| x.abs()).collect();
                if a.is_empty() {
                    return (k.clone(), 0.0);
                }
                let i =
                    ((q.clamp(0.0, 1.0) * a.len() as f64).ceil() as usize).clamp(1, a.len()) - 1;
                let (_, r, _) = a.select_nth_unstable_by(i, f64::total_cmp);
                (k.clone(), *r)
            })
            .collect()
    }

    /// Merges the ranges of several runs (elementwise maximum).
    pub fn merge_ranges(into: &mut BTreeMap<String, f64>, other: &BTreeMap<String, f64>) {
        for (k, v) in other {
            let e = into.entry(k.clone()).or_insert(0.0);
            *e = e.max(*v);
        }
    }
}

/// Cosine similarity and error of a tensor against a reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    /// `⟨a, r⟩ / (‖a‖·‖r‖)`; 1 when both are zero.
    pub cosine: f64,
    /// `max |a − r|`.
    pub max_abs_error: f64,
    /// `mean |a − r|`.
    pub mean_abs_error: f64,
}

/// Compares `actual` with `reference` elementwise (over the shorter of the two).
pub fn compare(actual: &[f64], reference: &[f64]) -> Accuracy {
    let (mut dot, mut na, mut nr, mut max, mut sum) = (0.0, 0.0, 0.0, 0.0f64, 0.0);
    for (a, r) in actual.iter().zip(reference) {
        dot += a * r;
        na += a * a;
        nr += r * r;
        let e = (a - r).abs();
        max = max.max(e);
        sum += e;
    }
    let n = actual.len().min(reference.len()).max(1) as f64;
    let cosine = if na == 0.0 && nr == 0.0 {
        1.0
    } else {
        (dot / (na * nr).sqrt()).clamp(-1.0, 1.0)
    };
    Accuracy {
        cosine,
        max_abs_error: max,
        mean_abs_error: sum / n,
    }
}

/// Seeded `N(0, 1)` tensors for every input node (a calibration or test input; BERT's
/// post-embedding hidden states are LayerNorm outputs, so unit scale is realistic).
pub fn synthetic_inputs(graph: &Graph, seed: u64) -> BTreeMap<String, Tensor<f64>> {
    graph
        .inputs()
        .map(|n| {
            let mut rng = Rng::for_name(seed, &n.name);
            let len = n.shape.iter().product();
            let data = (0..len).map(|_| rng.normal()).collect();
            (
                n.name.clone(),
                Tensor {
                    shape: n.shape.clone(),
                    data,
                },
            )
        })
        .collect()
}

fn param<'w>(
    weights: &'w Weights,
    graph: &Graph,
    node: &str,
    name: &str,
) -> Result<&'w [f32], FloatError> {
    let err = |problem: String| FloatError::Param {
        node: node.to_owned(),
        param: name.to_owned(),
        problem,
    };
    let t = weights
        .get(name)
        .ok_or_else(|| err("has no weights".into()))?;
    let want = graph
        .param(name)
        .map(|p| p.shape.as_slice())
        .unwrap_or_default();
    if t.shape != want {
        return Err(err(format!(
            "has shape {:?}, the model expects {want:?}",
            t.shape
        )));
    }
    let n: usize = t.shape.iter().product();
    if t.data.len() != n {
        return Err(err(format!(
            "holds {} elements, its shape {want:?} needs {n}",
            t.data.len()
        )));
    }
    Ok(&t.data)
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| f64::from(*x)).collect()
}

/// Runs `graph` on `inputs` (one tensor per `input` node) with `weights`.
///
/// # Errors
/// [`FloatError`] if the graph is invalid, an input is missing or misshapen, or a
/// parameter has no (or misshapen) weights.
pub fn run(
    graph: &Graph,
    weights: &Weights,
    inputs: &BTreeMap<String, Tensor<f64>>,
) -> Result<Activations, FloatError> {
    graph.validate()?;
    let mut values: BTreeMap<String, Tensor<f64>> = BTreeMap::new();
    for node in &graph.nodes {
        let x = |i: usize| &values[&node.inputs[i]];
        let out = match &node.op {
            Op::Input => {
                let t = inputs
                    .get(&node.name)
                    .ok_or_else(|| FloatError::MissingInput {
                        node: node.name.clone(),
                    })?;
                if t.shape != node.shape || t.data.len() != t.shape.iter().product::<usize>() {
                    return Err(FloatError::InputShape {
                        node: node.name.clone(),
                        expected: node.shape.clone(),
                        actual: t.shape.clone(),
                    });
                }
                t.data.clone()
            }
            Op::Output | Op::Reshape => x(0).data.clone(),
            Op::Linear { weight, bias } => {
                let w = param(weights, graph, &node.name, weight)?;
                let b = match bias {
                    Some(b) => Some(widen(param(weights, graph, &node.name, b)?)),
                    None => None,
                };
                linear(&x(0).data, x(0).last_dim(), w, b.as_deref())
            }
            Op::Matmul { transpose_b } => matmul(x(0), x(1), *transpose_b, &node.shape),
            Op::Softmax { scale } => softmax(&x(0).data, x(0).last_dim(), *scale),
            Op::Layernorm { eps, gamma, beta } => {
                let g = widen(param(weights, graph, &node.name, gamma)?);
                let b = widen(param(weights, graph, &node.name, beta)?);
                layernorm(&x(0).data, &g, &b, *eps)
            }
            Op::Gelu => {
                let src = &x(0).data;
                let mut y = vec![0.0; src.len()];
                par_rows(&mut y, x(0).last_dim(), |r, out| {
                    let row = &src[r * out.len()..(r + 1) * out.len()];
                    out.iter_mut()
                        .zip(row)
                        .for_each(|(o, v)| *o = erf::gelu(*v));
                });
                y
            }
            Op::Relu => x(0).data.iter().map(|v| v.max(0.0)).collect(),
            Op::Add => x(0)
                .data
                .iter()
                .zip(&x(1).data)
                .map(|(a, b)| a + b)
                .collect(),
            Op::Mul => x(0)
                .data
                .iter()
                .zip(&x(1).data)
                .map(|(a, b)| a * b)
                .collect(),
            Op::SplitHeads { heads } => {
                let (s, hd) = (x(0).shape[0], x(0).shape[1]);
                let d = hd / heads;
                let src = &x(0).data;
                let mut out = Vec::with_capacity(src.len());
                for h in 0..*heads {
                    for r in 0..s {
                        out.extend_from_slice(&src[r * hd + h * d..r * hd + (h + 1) * d]);
                    }
                }
                out
            }
            Op::MergeHeads => {
                let (heads, s, d) = (x(0).shape[0], x(0).shape[1], x(0).shape[2]);
                let src = &x(0).data;
                let mut out = Vec::with_capacity(src.len());
                for r in 0..s {
                    for h in 0..heads {
                        out.extend_from_slice(&src[(h * s + r) * d..(h * s + r + 1) * d]);
                    }
                }
                out
            }
        };
        values.insert(
            node.name.clone(),
            Tensor {
                shape: node.shape.clone(),
                data: out,
            },
        );
    }
    Ok(Activations {
        values,
        order: graph.nodes.iter().map(|n| n.name.clone()).collect(),
    })
}

/// `Σ a[i]·w[i]` with eight interleaved partial sums (lane `i mod 8`) combined in a
/// fixed tree, then the tail: a fixed order, so results are deterministic, and one the
/// compiler vectorises.
fn dot<W: Copy + Into<f64>>(a: &[f64], w: &[W]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cw) = (a.chunks_exact(8), w.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cw.remainder())
        .map(|(x, y)| x * (*y).into())
        .sum();
    for (x, y) in ca.zip(cw) {
        for i in 0..8 {
            acc[i] += x[i] * y[i].into();
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

/// The available cores, asked once (the query reads cgroup files on Linux, which costs
/// more than a small node).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Fills `y` (rows of `width` outputs) with `row(r, out)` for each row `r`, the rows
/// split across the available cores (each output is computed the same way whatever
/// the split).
fn par_rows(y: &mut [f64], width: usize, row: impl Fn(usize, &mut [f64]) + Sync) {
    if width == 0 {
        return;
    }
    let rows = y.len() / width;
    let threads = cores().min(rows.div_ceil(4).max(1));
    if threads <= 1 || y.len() < 1 << 14 {
        for (r, out) in y.chunks_exact_mut(width).enumerate() {
            row(r, out);
        }
        return;
    }
    let per = rows.div_ceil(threads);
    std::thread::scope(|s| {
        for (t, block) in y.chunks_mut(per * width).enumerate() {
            let row = &row;
            s.spawn(move || {
                for (i, out) in block.chunks_exact_mut(width).enumerate() {
                    row(t * per + i, out);
                }
            });
        }
    });
}

/// A zeroed buffer of `len` f64 whose slice `buf[off..off + len]` starts on a 64-byte
/// boundary (a cache line), so that 32-byte loads of groups of eight never straddle
/// two lines.
fn aligned_zeros(len: usize) -> (Vec<f64>, usize) {
    let buf = vec![0.0f64; len + 8];
    let off = buf.as_ptr().align_offset(64).min(8);
    (buf, off)
}

/// Weight rows per register tile of the AVX kernel.
const NR: usize = 4;
/// Weight rows per panel: their lane sums for every input row stay in L2.
const PANEL: usize = 2 * NR;
/// Inputs per slice of the inner dimension (a multiple of 8) when a row is longer than
/// [`KC_WHOLE`]: a slice of every input row plus the panel's widened weights stay in L2,
/// one tile's weights in L1.
const KC: usize = 512;
/// Rows up to this many inputs are not sliced (measured fastest for BERT's 768).
const KC_WHOLE: usize = 1024;

/// `dot`'s result from its eight lane sums and its tail, combined in its fixed tree.
#[inline(always)]
fn combine(acc: &[f64; 8], tail: f64) -> f64 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

/// Columns `o0..o0 + cols` of `x·wᵀ` (no bias) into `part` (`rows × cols`, row-major),
/// each output exactly [`dot`] (the portable build).
fn linear_cols<W: Copy + Into<f64>>(
    x: &[f64],
    d_in: usize,
    w: &[W],
    o0: usize,
    cols: usize,
    part: &mut [f64],
) {
    for (r, out) in part.chunks_exact_mut(cols.max(1)).enumerate() {
        let xr = &x[r * d_in..(r + 1) * d_in];
        for (o, v) in out.iter_mut().enumerate() {
            *v = dot(xr, &w[(o0 + o) * d_in..(o0 + o + 1) * d_in]);
        }
    }
}

/// Adds `x[8c + i]·w_t[8c + i]` over the whole groups of eight of `x` to lane `i` of
/// `acc[t]`, in AVX registers (lanes 0–3 and 4–7 of one sum are one register each):
/// plain multiplies and adds (no FMA) in [`dot`]'s order, so every lane sum is
/// bit-identical to it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
fn micro_avx(x: &[f64], ws: [&[f64]; NR], acc: &mut [[f64; 8]; NR]) {
    use std::arch::x86_64::_mm256_storeu_pd;
    use std::arch::x86_64::{__m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd};
    let (xc, _) = x.as_chunks::<8>();
    let wc: [&[[f64; 8]]; NR] = ws.map(|w| &w.as_chunks::<8>().0[..xc.len()]);
    // SAFETY (all loads and stores below): each touches four f64 inside an `[f64; 8]`.
    let mut a: [[__m256d; 2]; NR] = std::array::from_fn(|t| unsafe {
        [
            _mm256_loadu_pd(acc[t].as_ptr()),
            _mm256_loadu_pd(acc[t].as_ptr().add(4)),
        ]
    });
    let rows = xc.iter().zip(wc[0]).zip(wc[1]).zip(wc[2]).zip(wc[3]);
    for ((((xv, w0), w1), w2), w3) in rows {
        let (x0, x1) = unsafe {
            (
                _mm256_loadu_pd(xv.as_ptr()),
                _mm256_loadu_pd(xv.as_ptr().add(4)),
            )
        };
        for (t, wv) in [w0, w1, w2, w3].into_iter().enumerate() {
            let (w0, w1) = unsafe {
                (
                    _mm256_loadu_pd(wv.as_ptr()),
                    _mm256_loadu_pd(wv.as_ptr().add(4)),
                )
            };
            a[t][0] = _mm256_add_pd(a[t][0], _mm256_mul_pd(x0, w0));
            a[t][1] = _mm256_add_pd(a[t][1], _mm256_mul_pd(x1, w1));
        }
    }
    for t in 0..NR {
        unsafe {
            _mm256_storeu_pd(acc[t].as_mut_ptr(), a[t][0]);
            _mm256_storeu_pd(acc[t].as_mut_ptr().add(4), a[t][1]);
        }
    }
}

/// [`linear_cols`] blocked for the caches, with the AVX kernel: for each panel of
/// [`PANEL`] weight rows and each [`KC`]-wide slice of the inner dimension, the slice
/// of those rows is widened once and run against every input row, [`NR`] weight rows
/// at a time; the eight lane sums of every output persist across slices. Bit-identical
/// to the portable build.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn linear_cols_avx<W: Copy + Into<f64>>(
    x: &[f64],
    d_in: usize,
    w: &[W],
    o0: usize,
    cols: usize,
    part: &mut [f64],
) {
    let rows = part.len() / cols.max(1);
    let full = cols / NR * NR;
    let body = d_in / 8 * 8;
    let slice = if body <= KC_WHOLE { body } else { KC };
    let (mut wt_buf, wt_off) = aligned_zeros(PANEL * slice);
    let wt = &mut wt_buf[wt_off..wt_off + PANEL * slice];
    let mut lanes = vec![[[0.0f64; 8]; NR]; rows * (PANEL / NR)];
    let mut p0 = 0;
    while p0 < full {
        let n = PANEL.min(full - p0);
        lanes.iter_mut().for_each(|l| *l = [[0.0; 8]; NR]);
        let mut k0 = 0;
        while k0 < body {
            let kc = slice.min(body - k0);
            for o in 0..n {
                let src = &w[(o0 + p0 + o) * d_in + k0..][..kc];
                wt[o * kc..(o + 1) * kc]
                    .iter_mut()
                    .zip(src)
                    .for_each(|(d, s)| *d = (*s).into());
            }
            for t in 0..n / NR {
                let ws: [&[f64]; NR] =
                    std::array::from_fn(|i| &wt[(t * NR + i) * kc..(t * NR + i + 1) * kc]);
                for r in 0..rows {
                    let xr = &x[r * d_in + k0..][..kc];
                    micro_avx(xr, ws, &mut lanes[r * (PANEL / NR) + t]);
                }
            }
            k0 += kc;
        }
        for r in 0..rows {
            let xr = &x[r * d_in..(r + 1) * d_in];
            for o in 0..n {
                let wr = &w[(o0 + p0 + o) * d_in..(o0 + p0 + o + 1) * d_in];
                let tail: f64 = xr[body..]
                    .iter()
                    .zip(&wr[body..])
                    .map(|(a, b)| a * (*b).into())
                    .sum();
                let l = &lanes[r * (PANEL / NR) + o / NR][o % NR];
                part[r * cols + p0 + o] = combine(l, tail);
            }
        }
        p0 += n;
    }
    for o in full..cols {
        let wr = &w[(o0 + o) * d_in..(o0 + o + 1) * d_in];
        for r in 0..rows {
            part[r * cols + o] = dot(&x[r * d_in..(r + 1) * d_in], wr);
        }
    }
}

fn linear_cols_dispatch<W: Copy + Into<f64>>(
    x: &[f64],
    d_in: usize,
    w: &[W],
    o0: usize,
    cols: usize,
    part: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        unsafe { linear_cols_avx(x, d_in, w, o0, cols, part) };
        return;
    }
    linear_cols(x, d_in, w, o0, cols, part);
}

/// `y[r][o] = Σ_i x[r][i]·w[o][i] + b[o]`, each output summed like [`dot`]. The output
/// columns are split across the available cores (each thread streams its share of
/// `w` once); the split changes no result.
fn linear<W: Copy + Into<f64> + Sync>(
    x: &[f64],
    d_in: usize,
    w: &[W],
    b: Option<&[f64]>,
) -> Vec<f64> {
    let d_in1 = d_in.max(1);
    let d_out = w.len() / d_in1;
    let rows = x.len() / d_in1;
    let mut y = vec![0.0; rows * d_out];
    if d_out == 0 || rows == 0 {
        return y;
    }
    // A copy of x on a cache-line boundary (rows of a multiple of eight stay aligned).
    let (mut x_buf, x_off) = aligned_zeros(x.len());
    x_buf[x_off..x_off + x.len()].copy_from_slice(x);
    let x = &x_buf[x_off..x_off + x.len()];
    let threads = cores().min(d_out.div_ceil(NR));
    // Below about a million products a thread costs more than it saves.
    if threads <= 1 || rows * d_out * d_in < 1 << 20 {
        linear_cols_dispatch(x, d_in, w, 0, d_out, &mut y);
    } else {
        // Column ranges in whole tiles, as even as possible.
        let tiles = d_out.div_ceil(NR);
        let bounds: Vec<usize> = (0..=threads)
            .map(|t| (tiles * t / threads * NR).min(d_out))
            .collect();
        let parts: Vec<Vec<f64>> = std::thread::scope(|s| {
            let handles: Vec<_> = bounds
                .windows(2)
                .map(|r| {
                    let (o0, cols) = (r[0], r[1] - r[0]);
                    s.spawn(move || {
                        let mut part = vec![0.0; rows * cols];
                        linear_cols_dispatch(x, d_in, w, o0, cols, &mut part);
                        part
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (part, r) in parts.iter().zip(bounds.windows(2)) {
            let cols = r[1] - r[0];
            if cols == 0 {
                continue;
            }
            for (dst, src) in y.chunks_exact_mut(d_out).zip(part.chunks_exact(cols)) {
                dst[r[0]..r[1]].copy_from_slice(src);
            }
        }
    }
    if let Some(b) = b {
        for row in y.chunks_exact_mut(d_out) {
            row.iter_mut().zip(b).for_each(|(v, b)| *v += b);
        }
    }
    y
}

/// Batched `a·b` or `a·bᵀ` (`b` is transposed once so every product is a row dot).
fn matmul(a: &Tensor<f64>, b: &Tensor<f64>, transpose_b: bool, out_shape: &[usize]) -> Vec<f64> {
    let r = a.shape.len();
    let (m, k) = (a.shape[r - 2], a.shape[r - 1]);
    let n = out_shape[r - 1];
    let batch: usize = a.shape[..r - 2].iter().product();
    // bt[batch][j][t] = b as [n, k] rows.
    let bt: std::borrow::Cow<'_, [f64]> = if transpose_b {
        std::borrow::Cow::Borrowed(&b.data)
    } else {
        let mut t = vec![0.0; b.data.len()];
        for bi in 0..batch {
            let (src, dst) = (&b.data[bi * k * n..], &mut t[bi * k * n..]);
            for kk in 0..k {
                for j in 0..n {
                    dst[j * k + kk] = src[kk * n + j];
                }
            }
        }
        std::borrow::Cow::Owned(t)
    };
    if k == 0 {
        return vec![0.0; batch * m * n];
    }
    let mut y = Vec::with_capacity(batch * m * n);
    for bi in 0..batch {
        y.extend(linear(
            &a.data[bi * m * k..(bi + 1) * m * k],
            k,
            &bt[bi * n * k..(bi + 1) * n * k],
            None,
        ));
    }
    y
}

/// Row softmax of `scale·x`, with the row maximum subtracted before `exp` (rows
/// spread over the cores).
fn softmax(x: &[f64], d: usize, scale: f64) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    par_rows(&mut y, d, |r, out| {
        let row = &x[r * d..(r + 1) * d];
        let max = row.iter().fold(f64::NEG_INFINITY, |m, v| m.max(scale * v));
        out.iter_mut()
            .zip(row)
            .for_each(|(o, v)| *o = (scale * v - max).exp());
        let sum: f64 = out.iter().sum();
        out.iter_mut().for_each(|v| *v /= sum);
    });
    y
}

/// Row layernorm: two-pass mean and population variance, then `γ`, `β` (rows spread
/// over the cores).
fn layernorm(x: &[f64], gamma: &[f64], beta: &[f64], eps: f64) -> Vec<f64> {
    let d = gamma.len();
    let mut y = vec![0.0; x.len()];
    par_rows(&mut y, d, |r, out| {
        let row = &x[r * d..(r + 1) * d];
        let mean = row.iter().sum::<f64>() / d as f64;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d as f64;
        let inv = 1.0 / (var + eps).sqrt();
        for ((o, v), (g, b)) in out.iter_mut().zip(row).zip(gamma.iter().zip(beta)) {
            *o = (v - mean) * inv * g + b;
        }
    });
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Node, Param, SCHEMA_VERSION};
    use crate::hf::{BertConfig, expand};

    fn node(name: &str, op: Op, inputs: &[&str], shape: &[usize]) -> Node {
        Node {
            name: name.into(),
            op,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            shape: shape.to_vec(),
        }
    }

    #[test]
    fn hand_computed() {
        // x = [1, 1]; fc = x·Wᵀ + b = [1+2+0.5, 3+4-1] = [3.5, 6].
        let g = Graph {
            version: SCHEMA_VERSION,
            name: "hand".into(),
            params: ["w", "b", "g", "be"]
                .iter()
                .zip([vec![2, 2], vec![2], vec![2], vec![2]])
                .map(|(n, s)| Param {
                    name: n.to_string(),
                    shape: s,
                })
                .collect(),
            nodes: vec![
                node("x", Op::Input, &[], &[1, 2]),
                node(
                    "fc",
                    Op::Linear {
                        weight: "w".into(),
                        bias: Some("b".into()),
                    },
                    &["x"],
                    &[1, 2],
                ),
                node("sm", Op::Softmax { scale: 1.0 }, &["fc"], &[1, 2]),
                node(
                    "ln",
                    Op::Layernorm {
                        eps: 1e-30,
                        gamma: "g".into(),
                        beta: "be".into(),
                    },
                    &["fc"],
                    &[1, 2],
                ),
                node("ge", Op::Gelu, &["ln"], &[1, 2]),
                node("re", Op::Relu, &["ln"], &[1, 2]),
                node("mu", Op::Mul, &["ge", "re"], &[1, 2]),
                node("y", Op::Output, &["mu"], &[1, 2]),
            ],
        };
        let mut w = Weights::default();
        w.insert(
            "w",
            Tensor::new(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap(),
        );
        w.insert("b", Tensor::new(vec![2], vec![0.5, -1.0]).unwrap());
        w.insert("g", Tensor::new(vec![2], vec![2.0, 1.0]).unwrap());
        w.insert("be", Tensor::new(vec![2], vec![0.0, 1.0]).unwrap());
        let inputs = BTreeMap::from([(
            "x".to_string(),
            Tensor::new(vec![1, 2], vec![1.0, 1.0]).unwrap(),
        )]);
        let a = run(&g, &w, &inputs).unwrap();
        assert_eq!(a.get("fc").unwrap().data, [3.5, 6.0]);
        let p0 = 1.0 / (1.0 + 2.5f64.exp());
        let sm = &a.get("sm").unwrap().data;
        assert!((sm[0] - p0).abs() < 1e-15 && (sm[1] - (1.0 - p0)).abs() < 1e-15);
        // mean 4.75, std 1.25 -> [-1, 1]; times γ = [2, 1] plus β = [0, 1] -> [-2, 2].
        assert_eq!(a.get("ln").unwrap().data, [-2.0, 2.0]);
        let ge = &a.get("ge").unwrap().data;
        assert!((ge[1] - 2.0 * 0.9772498680518208).abs() < 1e-15, "{ge:?}");
        assert_eq!(a.get("re").unwrap().data, [0.0, 2.0]);
        assert_eq!(a.get("y").unwrap().data, [0.0, ge[1] * 2.0]);
        assert_eq!(a.ranges()["ln"], 2.0);

        // Missing weight and bad input shape are named.
        let mut w2 = w.clone();
        w2.insert("g", Tensor::new(vec![3], vec![0.0; 3]).unwrap());
        let e = run(&g, &w2, &inputs).unwrap_err().to_string();
        assert_eq!(
            e,
            "float reference: node `ln`: parameter `g` has shape [3], the model expects [2]"
        );
        let bad = BTreeMap::from([(
            "x".to_string(),
            Tensor::new(vec![2], vec![1.0, 1.0]).unwrap(),
        )]);
        assert!(matches!(
            run(&g, &w, &bad),
            Err(FloatError::InputShape { .. })
        ));
        assert!(matches!(
            run(&g, &w, &BTreeMap::new()),
            Err(FloatError::MissingInput { .. })
        ));
    }

    #[test]
    fn threaded_linear_matches_plain_loops() {
        let (rows, d_in, d_out) = (300, 67, 129); // odd sizes: tails and uneven splits
        let mut rng = Rng::new(4);
        let x: Vec<f64> = (0..rows * d_in).map(|_| rng.normal()).collect();
        let w: Vec<f32> = (0..d_out * d_in).map(|_| rng.normal() as f32).collect();
        let b: Vec<f64> = (0..d_out).map(|_| rng.normal()).collect();
        let y = linear(&x, d_in, &w, Some(&b));
        assert_eq!(y, linear(&x, d_in, &w, Some(&b)));
        for r in 0..rows {
            for o in 0..d_out {
                let want: f64 = (0..d_in)
                    .map(|i| x[r * d_in + i] * f64::from(w[o * d_in + i]))
                    .sum::<f64>()
                    + b[o];
                assert!((y[r * d_out + o] - want).abs() < 1e-12, "row {r} out {o}");
            }
        }
    }

    #[test]
    fn blocked_linear_is_bit_identical_to_dot() {
        // Sizes around the register tile, the panel and the inner-dimension slice:
        // column tails, an inner tail, several slices, one row, a thread split.
        for (rows, d_in, d_out) in [
            (1, 8, 4),
            (3, 13, 9),
            (5, 2 * KC_WHOLE + 24, 2 * PANEL + 3),
            (130, 96, 70),
        ] {
            let mut rng = Rng::new((rows * d_in * d_out) as u64);
            let x: Vec<f64> = (0..rows * d_in).map(|_| rng.normal()).collect();
            let w: Vec<f32> = (0..d_out * d_in).map(|_| rng.normal() as f32).collect();
            let b: Vec<f64> = (0..d_out).map(|_| rng.normal()).collect();
            let y = linear(&x, d_in, &w, Some(&b));
            let mut portable = vec![0.0; rows * d_out];
            linear_cols(&x, d_in, &w, 0, d_out, &mut portable);
            for r in 0..rows {
                for o in 0..d_out {
                    let want = dot(&x[r * d_in..(r + 1) * d_in], &w[o * d_in..(o + 1) * d_in]);
                    assert_eq!(portable[r * d_out + o].to_bits(), want.to_bits());
                    let got = y[r * d_out + o];
                    assert_eq!(
                        got.to_bits(),
                        (want + b[o]).to_bits(),
                        "{rows}x{d_in}x{d_out} row {r} out {o}"
                    );
                }
            }
        }
    }

    #[test]
    fn bert_tiny_attention_matches_direct_loops_and_is_deterministic() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        let w = Weights::synthetic(&g, 5);
        let inputs = synthetic_inputs(&g, 9);
        let a = run(&g, &w, &inputs).unwrap();
        assert_eq!(a, run(&g, &w, &inputs).unwrap());

        // Attention of layer 0 recomputed directly from q, k, v in [s, H] layout.
        let at = "encoder.layer.0.attention.self";
        let (q, k, v) = (
            &a.get(&format!("{at}.query")).unwrap().data,
            &a.get(&format!("{at}.key")).unwrap().data,
            &a.get(&format!("{at}.value")).unwrap().data,
        );
        let merged = &a.get(&format!("{at}.merge")).unwrap().data;
        let (s, h, heads) = (8, 64, 4);
        let d = h / heads;
        for hd in 0..heads {
            for i in 0..s {
                let sc: Vec<f64> = (0..s)
                    .map(|j| {
                        (0..d)
                            .map(|t| q[i * h + hd * d + t] * k[j * h + hd * d + t])
                            .sum::<f64>()
                            / (d as f64).sqrt()
                    })
                    .collect();
                let m = sc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = sc.iter().map(|x| (x - m).exp()).collect();
                let z: f64 = e.iter().sum();
                for t in 0..d {
                    let want: f64 = (0..s).map(|j| e[j] / z * v[j * h + hd * d + t]).sum();
                    let got = merged[i * h + hd * d + t];
                    assert!(
                        (got - want).abs() < 1e-12,
                        "head {hd} row {i} col {t}: {got} vs {want}"
                    );
                }
            }
        }
        // The output is finite; `compare` against a copy with one element moved by δ
        // gives δ as the max error, δ/n as the mean and the cosine computed here.
        let out = a.get("output").unwrap();
        assert!(out.data.iter().all(|v| v.is_finite()));
        assert_eq!(out.shape, vec![8, 64]);
        let (delta, at) = (0.25, 100);
        let mut moved = out.data.clone();
        moved[at] += delta;
        let c = compare(&out.data, &moved);
        let dot: f64 = out.data.iter().zip(&moved).map(|(x, y)| x * y).sum();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let cosine = dot / (norm(&out.data) * norm(&moved));
        assert!(cosine < 1.0 - 1e-6, "the move is visible: {cosine}");
        assert!(
            (c.cosine - cosine).abs() < 1e-12,
            "{} vs {cosine}",
            c.cosine
        );
        assert!(
            (c.max_abs_error - delta).abs() < 1e-12,
            "{}",
            c.max_abs_error
        );
        assert!((c.mean_abs_error - delta / 512.0).abs() < 1e-12);
    }
}
