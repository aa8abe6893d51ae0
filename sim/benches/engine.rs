//! Criterion micro-benchmark of the fast cycle engine's step: one `Net::run` (timing
//! mode, no stalls) of a single instance over many beats: the 16 x 4-lane linear of
//! `mase-hw bench cosim` (64 x 16, 1024 rows: 4096 input and 4096 output beats) and a
//! 16-deep FIFO (65,536 beats). Reported per run; beats per second follow from the
//! beat counts above. Run with `cargo bench -p sim --bench engine`.

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use generator::component::Instance;
use sim::cycle::{Net, NoStalls};

fn instance(name: &str, params: &[&str]) -> Box<dyn Instance> {
    let c = generator::components::find(name).expect("component");
    let p: Vec<String> = params.iter().map(|s| s.to_string()).collect();
    c.elaborate(&generator::Params::parse(name, c.params(), &p).expect("params"))
        .expect("elaborate")
}

/// Each stream's beat count for `rows` rows of input.
fn beat_counts(inst: &dyn Instance, rows: usize) -> BTreeMap<String, usize> {
    let inputs = inst.random_inputs(&mut generator::rng::Rng::new(1), rows);
    let mut all = inst.golden(&inputs).expect("golden");
    all.extend(inputs);
    inst.streams()
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                inst.stream_beats(s, &all).expect("beats").len(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let linear = instance(
        "linear",
        &[
            "IN_SIZE=64",
            "OUT_SIZE=16",
            "IN_PARALLELISM=16",
            "OUT_PARALLELISM=4",
            "WEIGHTS_FROM_ROM=1",
        ],
    );
    let lin_beats = beat_counts(&*linear, 1024);
    let fifo = instance("fifo", &["DEPTH=16"]);
    let mut g = c.benchmark_group("cycle engine run");
    g.bench_function("linear 64x16 (16x4 lanes), 1024 rows", |b| {
        b.iter(|| {
            let mut net = Net::single(&*linear, &|s| lin_beats[s]).expect("net");
            net.run(&mut NoStalls).expect("run");
            net.streams.len()
        })
    });
    g.bench_function("fifo depth 16, 65536 beats", |b| {
        b.iter(|| {
            let mut net = Net::single(&*fifo, &|_| 65_536).expect("net");
            net.run(&mut NoStalls).expect("run");
            net.streams.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
