//! Criterion micro-benchmark of the one parallel loop `gen` has: rendering unevenly
//! sized `.mem` files (here 96 ROM-like word lists of 2 k to 64 k words rendered to hex
//! text with `bits::write_mem`'s word format), in item order, with `rayon`
//! (`par_iter().map().collect()`, which keeps item order), and on one thread for scale.
//! The parallel result is checked equal to the sequential one. (It chose `rayon` over
//! the former hand-written work-sharing loop: see ARCHITECTURE.md's decisions.) Run with `cargo bench -p generator --bench par`.

use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

fn render(words: &[u32]) -> String {
    let mut s = String::with_capacity(words.len() * 9);
    for w in words {
        s.push_str(&format!("{w:08x}\n"));
    }
    s
}

fn jobs() -> Vec<Vec<u32>> {
    let mut s = 0x9e37_79b9u32;
    (0..96)
        .map(|i| {
            let n = 2048 << (i % 6);
            (0..n)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    s
                })
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let items = jobs();
    let seq: Vec<String> = items.iter().map(|w| render(w)).collect();
    assert_eq!(items.par_iter().map(|w| render(w)).collect::<Vec<_>>(), seq);
    let mut g = c.benchmark_group("render 96 uneven .mem texts");
    g.sample_size(20);
    g.bench_function("sequential", |b| {
        b.iter(|| items.iter().map(|w| render(w)).collect::<Vec<_>>())
    });
    g.bench_function("rayon par_iter", |b| {
        b.iter(|| items.par_iter().map(|w| render(w)).collect::<Vec<_>>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
