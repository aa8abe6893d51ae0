//! Criterion micro-benchmarks of golden's fixed-point arithmetic: `cast` from s32.16 to
//! s16.8 under each rounding mode (SAT), the exact `mul` and `add`, and the same
//! s32.16 → s16.8 narrowing done by the `fixed` crate (truncate + saturate, round
//! ties-even + saturate) for the record of why golden keeps its own type.
//! Run with `cargo bench -p golden --bench fixed`.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use fixed::types::{I8F8, I16F16};
use golden::fixed::{Format, Overflow, Rounding, add, cast, mul};

/// 4096 seeded s32.16 codes (a small xorshift, so the inputs are the same every run).
fn codes() -> Vec<i128> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..4096)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            i128::from(s as i32)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let xs = codes();
    let from = Format::signed(32, 16).expect("s32.16");
    let to = Format::signed(16, 8).expect("s16.8");
    let mut g = c.benchmark_group("cast s32.16 -> s16.8 (4096 values)");
    for r in Rounding::ALL {
        g.bench_function(format!("golden {r} SAT"), |b| {
            b.iter(|| {
                xs.iter()
                    .map(|&x| cast(black_box(x), from, to, r, Overflow::Sat))
                    .fold(0i128, |a, y| a ^ y)
            })
        });
    }
    let fx: Vec<I16F16> = xs.iter().map(|&x| I16F16::from_bits(x as i32)).collect();
    g.bench_function("fixed crate TRN SAT (saturating_from_num)", |b| {
        b.iter(|| {
            fx.iter()
                .map(|&x| I8F8::saturating_from_num(black_box(x)).to_bits())
                .fold(0i16, |a, y| a ^ y)
        })
    });
    g.bench_function("fixed crate RND_CONV SAT (round_ties_even)", |b| {
        b.iter(|| {
            fx.iter()
                .map(|&x| {
                    // Drop 8 fractional bits: read the bits with 8 fractional bits, round to integer.
                    let m = fixed::types::I24F8::from_bits(black_box(x).to_bits());
                    m.saturating_round_ties_even().saturating_to_num::<i16>()
                })
                .fold(0i16, |a, y| a ^ y)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("exact ops s32.16 (4096 pairs)");
    g.bench_function("golden mul", |b| {
        b.iter(|| {
            xs.windows(2)
                .map(|w| mul(black_box(w[0]), from, w[1], from).map_or(0, |(p, _)| p))
                .fold(0i128, |a, y| a ^ y)
        })
    });
    g.bench_function("golden add", |b| {
        b.iter(|| {
            xs.windows(2)
                .map(|w| add(black_box(w[0]), from, w[1], from).map_or(0, |(p, _)| p))
                .fold(0i128, |a, y| a ^ y)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
