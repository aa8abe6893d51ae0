//! Model of `mh_softmax`: row-wise softmax of signed fixed-point rows into unsigned
//! probabilities, bit-exact with the hardware, integer-only.
//!
//! For each row of `size` elements (raw codes `x`, format `input`):
//! 1. `m = max x`; `d = m - x` (exact, `0 <= d < 2^IN_WIDTH`).
//! 2. `t = d·K` scaled to [`SoftmaxPlan::t_frac`] fractional bits by truncation, where
//!    `K = round(scale·log2(e)·2^k_frac)` (so `e^(-scale·d_real) = 2^(-t)`).
//! 3. `t = i + f`, `i` integer, `f` in `[0, 1)`. If `i > exp_frac`, `e = 0`; otherwise
//!    `f` splits into a table index `j` (top `table_bits` bits) and a remainder `r`
//!    (the `t_frac - table_bits` bits below), `y = T[j] - floor((T[j] - T[j+1])·r / 2^R)`
//!    (linear interpolation in the table `T[j] = round(2^(-j/2^table_bits)·2^exp_frac)`,
//!    [`exp2_table`]), and `e = floor(y / 2^i)`; `e` has `exp_frac` fractional bits and
//!    is `2^exp_frac` (1.0) exactly for the row maximum.
//! 4. `S = sum e` exactly; one reciprocal per row `R = floor(2^(exp_frac + recip_frac) / S)`
//!    (exact integer division: the hardware's pipelined restoring divider).
//! 5. `p = e·R` (exact, `exp_frac + recip_frac` fractional bits) cast once to the output
//!    format with the configured rounding and overflow.
//!
//! The precisions are derived from the output format and the row length by
//! [`SoftmaxPlan::new`] so that the error before the output cast stays below 0.3 output
//! LSB (see docs/components.md). The float (f64) reference [`softmax_f64`] is the
//! mathematical function and is separate from the integer model.

use crate::fixed::{Format, Overflow, Rounding, cast, clog2};

/// ln 2 with 62 fractional bits (rounded).
const LN2_Q62: u128 = 0x2c5c_85fd_f473_de6b;
/// log2 e with 62 fractional bits (rounded).
const LOG2E_Q62: u128 = 0x5c55_1d94_ae0b_f85e;
/// Fractional bits of the internal constants and of the table series.
const Q: u32 = 62;

/// User-level configuration of a softmax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxConfig {
    /// Input format (signed).
    pub input: Format,
    /// Output format (unsigned).
    pub output: Format,
    pub rounding: Rounding,
    pub overflow: Overflow,
    /// Row length N.
    pub size: usize,
    /// log2 of the number of 2^-f table segments (the table has `2^table_bits + 1` entries).
    pub table_bits: u32,
    /// Extra fractional bits of the exponentials beyond `OUT_FRAC_WIDTH + clog2(size)`.
    pub guard_bits: u32,
    /// Scale applied before the exponent: `scale / 2^scale_frac` (> 0).
    pub scale: u64,
    pub scale_frac: u32,
}

/// Everything the hardware needs, derived from a [`SoftmaxConfig`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftmaxPlan {
    pub cfg: SoftmaxConfig,
    /// Fractional bits of the exponentials `e` (and of the table entries).
    pub exp_frac: u32,
    /// Fractional bits of the reciprocal.
    pub recip_frac: u32,
    /// Fractional bits of the exponent `t` after truncation.
    pub t_frac: u32,
    /// The constant `K = round(scale·log2 e·2^k_frac)` and its fractional bits.
    pub k: u128,
    pub k_frac: i32,
    /// Width of `K` (bits, unsigned).
    pub k_width: u32,
    /// The 2^-f table, `2^table_bits + 1` entries of `exp_frac + 1` bits.
    pub table: Vec<i128>,
}

impl SoftmaxPlan {
    /// Derives the internal precisions: `exp_frac = OUT_FRAC + clog2(N) + guard`,
    /// `recip_frac = OUT_FRAC + guard`, `t_frac = max(OUT_FRAC + 5, table_bits + 1)`.
    /// The caller validates ranges (`exp_frac <= 56`, output frac >= 1, scale >= 1).
    pub fn new(cfg: SoftmaxConfig) -> SoftmaxPlan {
        let of = cfg.output.frac().max(0) as u32;
        let exp_frac = of + clog2(cfg.size as u64) + cfg.guard_bits;
        let recip_frac = of + cfg.guard_bits;
        let t_frac = (of + 5).max(cfg.table_bits + 1);
        let (k, k_frac) = scale_constant(cfg.scale, cfg.scale_frac, exp_frac + 3);
        let k_width = 128 - k.leading_zeros();
        SoftmaxPlan {
            cfg,
            exp_frac,
            recip_frac,
            t_frac,
            k,
            k_frac,
            k_width,
            table: exp2_table(cfg.table_bits, exp_frac),
        }
    }

    /// Format of the table entries and of `e` (unsigned, `exp_frac + 1` bits).
    pub fn exp_format(&self) -> Format {
        Format::unsigned(self.exp_frac + 1, self.exp_frac as i32).expect("exp_frac <= 126")
    }

    /// Format of the product `e·R` fed to the output cast.
    pub fn product_format(&self) -> Format {
        let f = self.exp_frac + self.recip_frac;
        Format::unsigned(f + 1, f as i32).expect("product width <= 127")
    }

    /// Width of the exact row sum `S` (bits, unsigned).
    pub fn sum_width(&self) -> u32 {
        self.exp_frac + 1 + clog2(self.cfg.size as u64)
    }

    /// Right shift from the product `d·K` (frac `IN_FRAC + k_frac`) to `t` (frac
    /// `t_frac`); negative means a left shift.
    pub fn t_shift(&self) -> i32 {
        self.cfg.input.frac() + self.k_frac - self.t_frac as i32
    }

    /// `e` for a difference `d = max - x >= 0` (raw input LSBs).
    pub fn exp(&self, d: u128) -> i128 {
        let prod = d * self.k;
        let sh = self.t_shift();
        let t = if sh >= 0 {
            prod >> sh
        } else {
            prod << (-sh) as u32
        };
        let i = t >> self.t_frac;
        if i > u128::from(self.exp_frac) {
            return 0;
        }
        let rbits = self.t_frac - self.cfg.table_bits;
        let f = t & ((1u128 << self.t_frac) - 1);
        let j = (f >> rbits) as usize;
        let r = (f & ((1u128 << rbits) - 1)) as i128;
        let y = self.table[j] - (((self.table[j] - self.table[j + 1]) * r) >> rbits);
        y >> i as u32
    }

    /// Softmax of one row (raw input codes) into raw output codes.
    pub fn row(&self, x: &[i128]) -> Vec<i128> {
        let Some(&m) = x.iter().max() else {
            return Vec::new();
        };
        let e: Vec<i128> = x.iter().map(|&v| self.exp((m - v) as u128)).collect();
        let s: i128 = e.iter().sum();
        let recip = (1i128 << (self.exp_frac + self.recip_frac)) / s;
        let pf = self.product_format();
        e.iter()
            .map(|&v| {
                cast(
                    v * recip,
                    pf,
                    self.cfg.output,
                    self.cfg.rounding,
                    self.cfg.overflow,
                )
            })
            .collect()
    }
}

/// `(K, k_frac)` with `K = round(scale/2^scale_frac·log2 e·2^k_frac)` and `K` having
/// `sig` or `sig + 1` significant bits (integer-only).
pub fn scale_constant(scale: u64, scale_frac: u32, sig: u32) -> (u128, i32) {
    let v = u128::from(scale) * LOG2E_Q62; // value·2^(Q + scale_frac)
    let top = 127 - v.leading_zeros(); // floor(log2 v)
    let sh = top + 1 - sig; // keep `sig` bits
    let k = (v + (1u128 << (sh - 1))) >> sh;
    (k, (Q + scale_frac) as i32 - sh as i32)
}

/// `2^table_bits + 1` entries `round(2^(-j/2^table_bits)·2^frac)`, j = 0..=2^table_bits,
/// computed with an integer Taylor series of `e^(-j·ln2/2^table_bits)` in 62-bit fixed
/// point (`frac <= 60`). Entry 0 is `2^frac`, the last `2^(frac-1)`.
pub fn exp2_table(table_bits: u32, frac: u32) -> Vec<i128> {
    let n = 1u128 << table_bits;
    (0..=n)
        .map(|j| {
            let z = (LN2_Q62 * j) >> table_bits; // j·ln2/2^k, Q62, < 2^62
            let one = 1u128 << Q;
            let mut term = one;
            let mut sum: i128 = one as i128;
            let mut k = 1u128;
            while term != 0 {
                term = ((term * z) >> Q) / k;
                if k % 2 == 1 {
                    sum -= term as i128;
                } else {
                    sum += term as i128;
                }
                k += 1;
            }
            let sh = Q - frac;
            (sum + (1i128 << (sh - 1))) >> sh
        })
        .collect()
}

/// Softmax of `rows` rows of `cfg.size` raw inputs (row-major) into raw outputs.
pub fn softmax(x: &[i128], plan: &SoftmaxPlan) -> Vec<i128> {
    x.chunks(plan.cfg.size.max(1))
        .flat_map(|r| plan.row(r))
        .collect()
}

// ---------------------------------------------------------------- float reference

/// The mathematical softmax of `scale·x` over rows of `size` real values (f64).
pub fn softmax_f64(x: &[f64], size: usize, scale: f64) -> Vec<f64> {
    x.chunks(size.max(1))
        .flat_map(|r| {
            let m = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = r.iter().map(|&v| ((v - m) * scale).exp()).collect();
            let s: f64 = e.iter().sum();
            e.into_iter().map(move |v| v / s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(size: usize, of: i32) -> SoftmaxConfig {
        SoftmaxConfig {
            input: Format::signed(8, 4).unwrap(),
            output: Format::unsigned(of as u32 + 1, of).unwrap(),
            rounding: Rounding::Rnd,
            overflow: Overflow::Sat,
            size,
            table_bits: 8,
            guard_bits: 5,
            scale: 1,
            scale_frac: 0,
        }
    }

    #[test]
    fn table_endpoints_and_values() {
        let t = exp2_table(4, 20);
        assert_eq!(t.len(), 17);
        assert_eq!(t[0], 1 << 20);
        assert_eq!(t[16], 1 << 19);
        for (j, &v) in t.iter().enumerate() {
            let want = (-(j as f64) / 16.0).exp2() * f64::from(1 << 20);
            assert!((v as f64 - want).abs() <= 0.5 + 1e-6, "{j}: {v} vs {want}");
        }
    }

    #[test]
    fn scale_constant_is_log2e() {
        let (k, kf) = scale_constant(1, 0, 30);
        let v = k as f64 / f64::from(kf).exp2();
        assert!((v - std::f64::consts::LOG2_E).abs() < 1e-8);
        assert_eq!(128 - k.leading_zeros(), 30);
        let (k, kf) = scale_constant(181, 11, 24); // ~1/sqrt(128)
        let v = k as f64 / f64::from(kf).exp2();
        assert!((v - 181.0 / 2048.0 * std::f64::consts::LOG2_E).abs() < 1e-6);
    }

    #[test]
    fn equal_rows_are_uniform_and_one_hot_is_one() {
        let p = SoftmaxPlan::new(cfg(4, 7));
        assert_eq!(p.row(&[5, 5, 5, 5]), vec![32; 4]);
        assert_eq!(p.row(&[127, -128, -128, -128]), vec![128, 0, 0, 0]);
        assert_eq!(p.row(&[-3]), vec![128]);
        assert_eq!(p.exp(0), 1 << p.exp_frac);
    }

    #[test]
    fn close_to_float_and_monotone() {
        let c = cfg(16, 8);
        let p = SoftmaxPlan::new(c);
        let mut prev = i128::MAX;
        for d in 0..256u128 {
            let e = p.exp(d);
            assert!(e <= prev, "exp not monotone at {d}");
            prev = e;
        }
        let x: Vec<i128> = (0..16).map(|i| (i * 37 % 256) - 128).collect();
        let got = p.row(&x);
        let xf: Vec<f64> = x.iter().map(|&v| c.input.to_f64(v)).collect();
        let want = softmax_f64(&xf, 16, 1.0);
        for (g, w) in got.iter().zip(&want) {
            assert!((c.output.to_f64(*g) - w).abs() * 256.0 <= 1.0);
        }
    }

    /// The error before the output cast stays within the documented 0.3 output LSB,
    /// across output widths, row lengths, scales and table sizes at their minimum.
    #[test]
    fn pre_cast_error_within_budget() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for &(of, size, scale, scale_frac) in &[
            (7, 16, 1, 0),
            (8, 1000, 1, 0),
            (16, 64, 181, 11),
            (17, 300, 3, 0),
            (12, 4096, 1, 4),
        ] {
            let c = SoftmaxConfig {
                input: Format::signed(12, 6).unwrap(),
                output: Format::unsigned(of + 1, of as i32).unwrap(),
                table_bits: (of / 2).max(1),
                size,
                scale,
                scale_frac,
                ..cfg(size, 7)
            };
            let p = SoftmaxPlan::new(c);
            let lsb = (-f64::from(of)).exp2();
            let denom = f64::from(p.exp_frac + p.recip_frac).exp2();
            for row in 0..6 {
                let spread = [4i128, 64, 4096][row % 3];
                let x: Vec<i128> = (0..size)
                    .map(|_| (next() % spread as u64) as i128 - 2048)
                    .collect();
                let m = *x.iter().max().unwrap();
                let e: Vec<i128> = x.iter().map(|&v| p.exp((m - v) as u128)).collect();
                let s: i128 = e.iter().sum();
                let r = (1i128 << (p.exp_frac + p.recip_frac)) / s;
                let xf: Vec<f64> = x.iter().map(|&v| c.input.to_f64(v)).collect();
                let sc = scale as f64 / f64::from(scale_frac).exp2();
                let want = softmax_f64(&xf, size, sc);
                for (ev, w) in e.iter().zip(&want) {
                    let got = (ev * r) as f64 / denom;
                    assert!(
                        (got - w).abs() <= 0.3 * lsb,
                        "of={of} n={size}: {got} vs {w}"
                    );
                }
            }
        }
    }
}
