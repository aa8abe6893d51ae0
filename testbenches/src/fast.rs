//! The fast cycle simulator (`sim::cycle`) checked against Verilator, cycle for cycle.
//!
//! [`PatternStimulus`] draws the boundary stalls from the same seeded [`Pattern`]s, in
//! the same stream order and cycle order, as [`crate::cosim::Dut::run`], so both
//! engines see identical stimulus. [`check_instance`] runs one instance in both and
//! compares the cycle of every handshake of every stream.

use generator::component::Instance;
use generator::rng::Rng;
use generator::sv::Dir;
use generator::tensor::TensorMap;
use sim::cycle::{CycleError, Net, Stimulus};

use crate::cosim::{Dut, Pattern, RunOutcome, Stall};

/// Boundary stimulus from the harness's stall patterns.
pub struct PatternStimulus {
    inputs: Vec<Pattern>,
    outputs: Vec<(Pattern, u64)>,
}

impl PatternStimulus {
    /// The patterns `Dut::run` uses for `streams` (in order) under `stall` and `seed`.
    pub fn new(streams: &[generator::component::StreamDef], stall: Stall, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
        for s in streams {
            match s.direction {
                Dir::Input => inputs.push(Pattern::new(stall.idle(), &mut rng)),
                Dir::Output => outputs.push((Pattern::new(stall.backpressure(), &mut rng), 0)),
            }
        }
        PatternStimulus { inputs, outputs }
    }
}

impl Stimulus for PatternStimulus {
    fn offer(&mut self, input: usize, from: u64) -> u64 {
        let p = &mut self.inputs[input];
        let mut c = from;
        while p.stalled() {
            c += 1;
        }
        c
    }
    fn accept(&mut self, output: usize, from: u64) -> u64 {
        let (p, next) = &mut self.outputs[output];
        while *next < from {
            p.stalled();
            *next += 1;
        }
        loop {
            let c = *next;
            *next += 1;
            if !p.stalled() {
                return c;
            }
        }
    }
}

/// Runs `inst` in the fast engine with the beats of `tensors` under `stall`/`seed`;
/// returns the handshake cycles per stream, in stream order.
pub fn fast_handshakes(
    inst: &dyn Instance,
    tensors: &TensorMap,
    stall: Stall,
    seed: u64,
) -> Result<Vec<(String, Vec<u64>)>, String> {
    let streams = inst.streams();
    let mut counts = std::collections::BTreeMap::new();
    for s in &streams {
        let n = inst
            .stream_beats(s, tensors)
            .map_err(|e| e.to_string())?
            .len();
        counts.insert(s.name.clone(), n);
    }
    let mut net = Net::single(inst, &|n| counts[n]).map_err(|e| e.to_string())?;
    let mut stim = PatternStimulus::new(&streams, stall, seed);
    match net.run(&mut stim) {
        Ok(()) | Err(CycleError::Deadlock(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    Ok(net
        .streams
        .iter()
        .map(|s| (s.name.clone(), s.handshakes().to_vec()))
        .collect())
}

/// Compares every handshake cycle of the fast engine with Verilator's for one run;
/// the error names the component, parameters, seed, stall, stream, beat and both cycles.
pub fn compare(
    inst: &dyn Instance,
    tensors: &TensorMap,
    stall: Stall,
    seed: u64,
    verilator: &RunOutcome,
) -> Result<u64, String> {
    let fast = fast_handshakes(inst, tensors, stall, seed)?;
    let what = format!(
        "{} [{}] seed {seed} stalls {stall}",
        inst.component().name(),
        inst.params()
    );
    let mut compared = 0;
    for (name, got) in &fast {
        let want = verilator
            .handshakes
            .get(name)
            .ok_or_else(|| format!("{what}: Verilator has no stream {name}"))?;
        for (k, w) in want.iter().enumerate() {
            match got.get(k) {
                Some(g) if g == w => compared += 1,
                Some(g) => {
                    return Err(format!(
                        "{what}: stream {name} beat {k}: Verilator cycle {w}, fast cycle {g}"
                    ));
                }
                None => {
                    return Err(format!(
                        "{what}: stream {name} beat {k}: Verilator cycle {w}, fast engine never took it"
                    ));
                }
            }
        }
        if got.len() > want.len() {
            return Err(format!(
                "{what}: stream {name}: fast engine has {} beats, Verilator {}",
                got.len(),
                want.len()
            ));
        }
    }
    Ok(compared)
}

/// Builds `inst` in Verilator and checks the fast engine against it for `batch`-sized
/// random inputs under every stall pattern and each seed. Returns the beats compared.
pub fn check_instance(
    v: &sim::Verilator,
    inst: &dyn Instance,
    batch: usize,
    seeds: &[u64],
) -> Result<u64, String> {
    let dut = Dut::build(v, inst, false).map_err(|e| e.to_string())?;
    let mut total = 0;
    for &seed in seeds {
        let inputs = inst.random_inputs(&mut Rng::new(seed ^ 0x5eed), batch);
        let golden = inst.golden(&inputs).map_err(|e| e.to_string())?;
        let mut all = inputs.clone();
        all.extend(golden.iter().map(|(k, t)| (k.clone(), t.clone())));
        for stall in Stall::ALL {
            let out = dut
                .run(&inputs, &golden, stall, seed, None)
                .map_err(|e| e.to_string())?;
            if !out.passed() {
                return Err(format!(
                    "{} [{}] seed {seed} stalls {stall}: Verilator run failed: {:?} {:?}",
                    inst.component().name(),
                    inst.params(),
                    out.first_mismatch,
                    out.errors
                ));
            }
            total += compare(inst, &all, stall, seed, &out)?;
        }
    }
    Ok(total)
}

/// The traffic FIFO sizing (`sim::cycle::sizing`) runs on: `items` items back to back
/// under the four stall patterns of the harness, no stalls first (the throughput
/// reference), each a fresh [`PatternStimulus`] for `streams` with `seed`.
pub fn stall_traffic<'a>(
    streams: Vec<generator::component::StreamDef>,
    items: usize,
    seed: u64,
) -> sim::cycle::sizing::Traffic<'a> {
    let stimuli = Stall::ALL
        .into_iter()
        .map(|stall| {
            let streams = streams.clone();
            let make: sim::cycle::sizing::MakeStimulus<'a> = Box::new(move || {
                Box::new(PatternStimulus::new(&streams, stall, seed)) as Box<dyn Stimulus>
            });
            (stall.to_string(), make)
        })
        .collect();
    sim::cycle::sizing::Traffic { items, stimuli }
}
