//! A small seeded generator: SplitMix64 for uniform bits and Box–Muller for normal
//! samples. The uniform streams are fixed by this code alone; the normals also use the
//! C library's `ln`, which IEEE-754 does not require to be correctly rounded, so
//! another libm may change the last bit of a few samples (and, rarely, a quantized
//! weight). A basic-operations `ln` removes that dependence but made bert-base's
//! synthetic weights 0.55 s → 0.98 s, so it is not used. Not for anything
//! cryptographic.

/// SplitMix64 (Steele, Lea, Flood 2014) with a cached second Box–Muller sample.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed ^ 0x6a09_e667_f3bc_c909,
            spare: None,
        }
    }

    /// A generator for the tensor called `name`, independent of every other name.
    pub fn for_name(seed: u64, name: &str) -> Rng {
        // FNV-1a of the name, then mixed with the seed.
        let h = golden::hash::fnv1a(name.as_bytes());
        let mut r = Rng::new(seed ^ h.rotate_left(17));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `(0, 1]` (never 0, so `ln` is finite).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal sample: Box–Muller in Marsaglia's polar form (no `sin`/`cos`;
    /// the second sample of each pair is kept for the next call).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            // Uniform in (-1, 1) from the top 53 bits.
            let u = (self.next_u64() >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0;
            let v = (self.next_u64() >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * m);
                return u * m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_moments_and_determinism() {
        let mut r = Rng::new(7);
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        let mut again = Rng::new(7);
        assert_eq!(again.normal(), xs[0]);
        assert_ne!(
            Rng::for_name(1, "a").next_u64(),
            Rng::for_name(1, "b").next_u64()
        );
    }
}
