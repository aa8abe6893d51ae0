//! The Verilator regression: every component over its corner configurations plus
//! seeded random ones, each crossed with the four stall patterns, each run compared
//! beat by beat with the golden model. Configurations run on a small thread pool (the
//! Verilator build dominates and parallelises across configurations).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use crate::backend::Backend;
use crate::cosim::Stall;
use generator::component::Component;
use generator::rng::Rng;
use generator::tensor::Tensor;

/// Options of a regression run.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// Random configurations per component, on top of the corners.
    pub random_configs: usize,
    /// Vector sets per stall pattern.
    pub vectors: usize,
    /// Write VCDs into this directory (builds models with tracing).
    pub waves: Option<PathBuf>,
    /// Worker threads.
    pub jobs: usize,
    /// Run only the configuration with this label (`corner0`, `random1`; cocotb's `TESTCASE`).
    pub only: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            random_configs: 2,
            vectors: 2,
            waves: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            only: None,
        }
    }
}

/// Result of one configuration (all stall patterns and vector sets).
#[derive(Clone, Debug)]
pub struct ConfigReport {
    pub component: &'static str,
    pub label: String,
    pub params: Vec<String>,
    pub seed: u64,
    pub vectors: u64,
    pub beats: u64,
    pub mismatches: u64,
    pub failures: Vec<String>,
    pub build_secs: f64,
    pub sim_secs: f64,
    pub latency: Option<u64>,
}

/// Corner configurations then `n` random ones, labelled.
pub fn configs(c: &dyn Component, seed: u64, n: usize) -> Vec<(String, Vec<(&'static str, i64)>)> {
    let mut v: Vec<(String, Vec<(&'static str, i64)>)> = c
        .corners()
        .into_iter()
        .enumerate()
        .map(|(i, o)| (format!("corner{i}"), o))
        .collect();
    let mut rng = Rng::new(seed ^ fnv(c.name()));
    let mut made = 0;
    let mut tries = 0;
    while made < n && tries < 50 * n.max(1) {
        tries += 1;
        let o = c.random(&mut rng);
        if c.configure(&o).is_ok() {
            v.push((format!("random{made}"), o));
            made += 1;
        }
    }
    v
}

/// Runs one configuration.
pub fn run_config(
    v: &dyn Backend,
    c: &'static dyn Component,
    label: &str,
    overrides: &[(&'static str, i64)],
    opts: &Options,
) -> ConfigReport {
    let seed = opts.seed ^ fnv(c.name()).rotate_left(17) ^ fnv(label);
    let mut r = ConfigReport {
        component: c.name(),
        label: label.to_string(),
        params: overrides.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        seed,
        vectors: 0,
        beats: 0,
        mismatches: 0,
        failures: Vec::new(),
        build_secs: 0.0,
        sim_secs: 0.0,
        latency: None,
    };
    let inst = match c.configure(overrides) {
        Ok(i) => i,
        Err(e) => {
            r.failures.push(format!("elaboration: {e}"));
            return r;
        }
    };
    r.params = inst.params().display(c.params());
    let where_ = format!("{} [{}] {}", c.name(), label, r.params.join(" "));
    let t0 = Instant::now();
    let dut = match v.build(&*inst, opts.waves.is_some()) {
        Ok(d) => d,
        Err(e) => {
            r.failures.push(format!("{where_}: build failed: {e}"));
            return r;
        }
    };
    r.build_secs = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let timing = inst.timing();
    let mut rng = Rng::new(seed);
    // Elements that grow with the batch (fixed tensors such as weights do not count).
    let count = |batch| {
        inst.random_inputs(&mut Rng::new(0), batch)
            .values()
            .map(|t: &Tensor| t.raw.len())
            .sum::<usize>()
    };
    let elements_per_row = (count(2) - count(1)).max(1);
    let buffer = BufferCheck::of(&*inst, elements_per_row);
    for stall in Stall::ALL {
        for vec_i in 0..opts.vectors {
            let run_seed = rng.next_u64();
            let batch = (600 / elements_per_row).clamp(3, 48).max(buffer.min_rows) + vec_i;
            let inputs = inst.random_inputs(&mut Rng::new(run_seed), batch);
            let expected = match inst
                .check_inputs(&inputs)
                .and_then(|()| inst.golden(&inputs))
            {
                Ok(e) => e,
                Err(e) => {
                    r.failures.push(format!("{where_}: golden model: {e}"));
                    continue;
                }
            };
            let waves = opts
                .waves
                .as_ref()
                .map(|d| d.join(format!("{}-{label}-{stall}-{vec_i}.vcd", c.name())));
            if let Some(d) = &opts.waves {
                let _ = std::fs::create_dir_all(d);
            }
            let out = match dut.run(&inputs, &expected, stall, run_seed, waves.as_deref()) {
                Ok(o) => o,
                Err(e) => {
                    r.failures
                        .push(format!("{where_} stall={stall} seed={run_seed}: {e}"));
                    continue;
                }
            };
            r.vectors += 1;
            r.beats += out.beats_compared;
            r.mismatches += out.mismatches;
            let ctx = format!("{where_} stall={stall} vector seed={run_seed}");
            if let Some(m) = &out.first_mismatch {
                r.failures.push(format!(
                    "{ctx}: {} mismatching beats; first: {m}",
                    out.mismatches
                ));
            }
            for e in &out.errors {
                r.failures.push(format!("{ctx}: {e}"));
            }
            if let Some(e) = buffer.check(&out, stall) {
                r.failures.push(format!("{ctx}: {e}"));
            }
            if stall == Stall::None && vec_i == 0 && out.passed() {
                r.latency = out.latency;
                if out.latency != Some(timing.latency) {
                    r.failures.push(format!(
                        "{ctx}: measured latency {:?}, signature says {}",
                        out.latency, timing.latency
                    ));
                }
                // With no stalls neither the source nor the sink limits the stream, so
                // the measured interval must match the claim both ways: at most half a
                // cycle slower, and less than one cycle faster (an integer II rounds a
                // fractional rate up), so a signature claiming a slower II than the
                // hardware has fails too.
                let ii = timing.initiation_interval as f64;
                if let Some(iv) = out.interval
                    && (iv > ii + 0.5 || iv + 1.0 <= ii)
                {
                    r.failures.push(format!(
                        "{ctx}: measured {iv:.2} cycles per beat on {}, signature says II {}",
                        timing.ii_stream, timing.initiation_interval
                    ));
                }
            }
        }
    }
    r.sim_secs = t1.elapsed().as_secs_f64();
    r
}

/// Runs every configuration of every component on `opts.jobs` threads, reporting each
/// finished configuration to `progress`.
pub fn regress(
    v: &dyn Backend,
    comps: &[&'static dyn Component],
    opts: &Options,
    progress: &(dyn Fn(&ConfigReport) + Sync),
) -> Vec<ConfigReport> {
    type Work = (&'static dyn Component, String, Vec<(&'static str, i64)>);
    let mut work: Vec<Work> = Vec::new();
    for &c in comps {
        for (label, o) in configs(c, opts.seed, opts.random_configs) {
            if opts.only.as_ref().is_some_and(|l| *l != label) {
                continue;
            }
            work.push((c, label, o));
        }
    }
    let total = work.len();
    let queue = Mutex::new(work.into_iter().enumerate());
    let results = Mutex::new(Vec::with_capacity(total));
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some((i, (c, label, o))) = next else {
                        break;
                    };
                    let rep = run_config(v, c, &label, &o, opts);
                    progress(&rep);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, rep));
                }
            });
        }
    });
    let mut r = results.into_inner().unwrap_or_else(|e| e.into_inner());
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, rep)| rep).collect()
}

/// The summary table: one row per component and a total.
pub fn summary(reports: &[ConfigReport], wall_secs: f64) -> String {
    let mut comps: Vec<&'static str> = Vec::new();
    for r in reports {
        if !comps.contains(&r.component) {
            comps.push(r.component);
        }
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<14} {:>7} {:>8} {:>10} {:>10} {:>8} {:>9} {:>9}",
        "component", "configs", "vectors", "beats", "mismatches", "failed", "build s", "sim s"
    );
    let mut tot = (0usize, 0u64, 0u64, 0u64, 0usize, 0.0f64, 0.0f64);
    for c in comps {
        let rs: Vec<&ConfigReport> = reports.iter().filter(|r| r.component == c).collect();
        let row = (
            rs.len(),
            rs.iter().map(|r| r.vectors).sum::<u64>(),
            rs.iter().map(|r| r.beats).sum::<u64>(),
            rs.iter().map(|r| r.mismatches).sum::<u64>(),
            rs.iter().filter(|r| !r.failures.is_empty()).count(),
            rs.iter().map(|r| r.build_secs).sum::<f64>(),
            rs.iter().map(|r| r.sim_secs).sum::<f64>(),
        );
        let _ = writeln!(
            s,
            "{:<14} {:>7} {:>8} {:>10} {:>10} {:>8} {:>9.1} {:>9.1}",
            c, row.0, row.1, row.2, row.3, row.4, row.5, row.6
        );
        tot = (
            tot.0 + row.0,
            tot.1 + row.1,
            tot.2 + row.2,
            tot.3 + row.3,
            tot.4 + row.4,
            tot.5 + row.5,
            tot.6 + row.6,
        );
    }
    let _ = writeln!(
        s,
        "{:<14} {:>7} {:>8} {:>10} {:>10} {:>8} {:>9.1} {:>9.1}",
        "total", tot.0, tot.1, tot.2, tot.3, tot.4, tot.5, tot.6
    );
    let _ = writeln!(s, "wall time {wall_secs:.1} s");
    s
}

/// The buffer corner of a component that declares its capacity (`capacity_beats` in
/// its resources: fifo, skid buffer). Its vectors are long enough to fill it under any
/// backpressure pattern (at least 8 × capacity input beats: the lightest pattern,
/// ready low one cycle in five, fills it after about 5 × capacity), and every run's
/// occupancy, read from the handshake log (beats taken in minus beats given out, after
/// each edge), must stay within the capacity and, with backpressure on a never-idle
/// source, reach it: the buffer was observed full and refused beats for being full.
struct BufferCheck {
    capacity: Option<u64>,
    /// Batch rows the vectors need.
    min_rows: usize,
}

impl BufferCheck {
    fn of(inst: &dyn generator::component::Instance, elements_per_row: usize) -> BufferCheck {
        let capacity = inst.resources().get("capacity_beats").copied();
        let lanes = inst
            .streams()
            .iter()
            .find(|s| s.direction == generator::sv::Dir::Input)
            .map_or(1, |s| s.lanes.max(1));
        let beats_per_row = (elements_per_row / lanes).max(1) as u64;
        let min_rows = capacity.map_or(0, |c| (8 * c + 16).div_ceil(beats_per_row)) as usize;
        BufferCheck { capacity, min_rows }
    }

    /// The most beats inside at once, from the handshake log of a run.
    fn peak(out: &crate::cosim::RunOutcome, inst_inputs: &[&str]) -> u64 {
        let mut events: Vec<(u64, i64)> = Vec::new();
        for (name, fires) in &out.handshakes {
            let step = if inst_inputs.contains(&name.as_str()) {
                1
            } else {
                -1
            };
            events.extend(fires.iter().map(|&c| (c, step)));
        }
        // Within one cycle both edges happen at once: apply the cycle's events together.
        events.sort_unstable();
        let (mut inside, mut peak, mut k) = (0i64, 0i64, 0);
        while k < events.len() {
            let c = events[k].0;
            while k < events.len() && events[k].0 == c {
                inside += events[k].1;
                k += 1;
            }
            peak = peak.max(inside);
        }
        peak.max(0) as u64
    }

    fn check(&self, out: &crate::cosim::RunOutcome, stall: Stall) -> Option<String> {
        let cap = self.capacity?;
        // Passthrough buffers have one input stream and one output stream.
        let peak = Self::peak(out, &["data_in"]);
        if peak > cap {
            return Some(format!(
                "{peak} beats inside at once, more than the declared capacity {cap}"
            ));
        }
        if stall == Stall::Backpressure && out.passed() && peak < cap {
            return Some(format!(
                "never driven full under backpressure: at most {peak} of {cap} beats inside"
            ));
        }
        None
    }
}

fn fnv(s: &str) -> u64 {
    golden::hash::fnv1a(s.as_bytes())
}
