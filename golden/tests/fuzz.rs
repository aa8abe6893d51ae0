//! Fuzzing of the fixed-point operations with arbitrary formats and raw codes (driven
//! by proptest; see `model/tests/fuzz.rs` for the byte-level targets): format
//! construction, `cast` under every mode, width growth (`add_format`, `mul_format`,
//! `tree_format`, `accumulate_format`) and the f64 conversions must return a value or
//! an error — never panic or overflow — and results must lie in their format.
//! Bounded by `FUZZ_SECS` (default 2) and `FUZZ_CASES`.

use std::time::{Duration, Instant};

use golden::{Format, Overflow, Rounding};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn fmt(w: u32, f: i32, s: bool) -> Option<Format> {
    Format::new(w, f, s).ok()
}

#[test]
fn fuzz_fixed_point_ops() {
    let secs: f64 = std::env::var("FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000u64);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let width = prop_oneof![0u32..=130, any::<u32>()];
    let frac = prop_oneof![-300i32..=300, any::<i32>()];
    let strategy = (
        (width.clone(), frac.clone(), any::<bool>()),
        (width, frac, any::<bool>()),
        any::<i128>(),
        any::<u64>(),
        any::<f64>(),
        0usize..7,
        0usize..4,
    );
    let ran = std::cell::Cell::new(0u64);
    let ran_ref = &ran;
    let run_chunk = |runner: &mut TestRunner| {
        runner.run(
            &strategy,
            |((wa, fa, sa), (wb, fb, sb), raw, n, x, ri, oi)| {
                if Instant::now() > deadline {
                    return Ok(());
                }
                ran_ref.set(ran_ref.get() + 1);
                let (Some(a), b) = (fmt(wa, fa, sa), fmt(wb, fb, sb)) else {
                    return Ok(());
                };
                let r = Rounding::ALL[ri % Rounding::ALL.len()];
                let o = Overflow::ALL[oi % Overflow::ALL.len()];
                let v = raw.clamp(a.min_raw(), a.max_raw());
                let _ = a.to_f64(v);
                if let Ok(q) = a.from_f64(x, r, o) {
                    prop_assert!(a.contains(q), "from_f64 {x} into {a}: {q}");
                }
                let _ = golden::fixed::tree_format(a, n);
                let _ = golden::fixed::accumulate_format(a, n);
                if let Some(b) = b {
                    let c = golden::fixed::cast(v, a, b, r, o);
                    prop_assert!(b.contains(c), "cast {v} {a} -> {b}: {c}");
                    let _ = golden::fixed::add_format(a, b);
                    let _ = golden::fixed::mul_format(a, b);
                }
                Ok(())
            },
        )
    };
    // Chunks of cases, each with a fresh random seed, until the time or case limit.
    while Instant::now() < deadline && ran.get() < cases {
        let mut runner = TestRunner::new(Config {
            cases: 10_000,
            failure_persistence: None,
            ..Config::default()
        });
        run_chunk(&mut runner).unwrap();
    }
    eprintln!("fuzz fixed: {} cases", ran.get());
}
