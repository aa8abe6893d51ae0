//! Criterion micro-benchmarks of lane packing, the layout of Verilator's wide ports and
//! `.mem` words: `generator::bits::pack`/`unpack` against the same packing written
//! with `bitvec` (`store_le`/`load_le` on an `Lsb0` view of the `u32` words), for a
//! 16 x 16-bit beat (the benchmarked linear), a 16 x 8-bit beat and a 64 x 12-bit beat
//! (lanes straddling words). Both sides produce identical words (checked before
//! timing). Run with `cargo bench -p generator --bench lanes`.

use bitvec::prelude::*;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use generator::bits;
use golden::Format;

fn bitvec_pack(lanes: &[i128], f: Format) -> Vec<u32> {
    let w = f.width() as usize;
    let mut words = vec![0u32; bits::words_for(f.width() * lanes.len() as u32)];
    let view = words.view_bits_mut::<Lsb0>();
    for (i, &raw) in lanes.iter().enumerate() {
        view[i * w..(i + 1) * w].store_le(f.to_bits(raw) as u64);
    }
    words
}

fn bitvec_unpack(words: &[u32], n: usize, f: Format) -> Vec<i128> {
    let w = f.width() as usize;
    let view = words.view_bits::<Lsb0>();
    (0..n)
        .map(|i| f.from_bits(u128::from(view[i * w..(i + 1) * w].load_le::<u64>())))
        .collect()
}

fn beats(f: Format, lanes: usize) -> Vec<Vec<i128>> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    (0..256)
        .map(|_| {
            (0..lanes)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    f.from_bits(u128::from(s))
                })
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (width, lanes) in [(16u32, 16usize), (8, 16), (12, 64)] {
        let f = Format::signed(width, width as i32 / 2).expect("format");
        let data = beats(f, lanes);
        for b in &data {
            let words = bits::pack(b, f);
            assert_eq!(words, bitvec_pack(b, f), "bitvec packs the same words");
            assert_eq!(
                &bitvec_unpack(&words, lanes, f),
                b,
                "bitvec unpacks the lanes"
            );
        }
        let packed: Vec<Vec<u32>> = data.iter().map(|b| bits::pack(b, f)).collect();
        let mut g = c.benchmark_group(format!("{lanes} x {width}-bit lanes (256 beats)"));
        g.bench_function("bits::pack", |b| {
            b.iter(|| {
                data.iter()
                    .for_each(|x| drop(black_box(bits::pack(black_box(x), f))))
            })
        });
        g.bench_function("bitvec store_le", |b| {
            b.iter(|| {
                data.iter()
                    .for_each(|x| drop(black_box(bitvec_pack(black_box(x), f))))
            })
        });
        g.bench_function("bits::unpack", |b| {
            b.iter(|| {
                packed
                    .iter()
                    .for_each(|w| drop(black_box(bits::unpack(black_box(w), lanes, f))))
            })
        });
        g.bench_function("bitvec load_le", |b| {
            b.iter(|| {
                packed
                    .iter()
                    .for_each(|w| drop(black_box(bitvec_unpack(black_box(w), lanes, f))))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
