//! Co-simulation of one component instance in Verilator against its golden model.
//!
//! [`Dut`] builds (or loads from the cache) the Verilator model of an instance's
//! generated top. [`Dut::run`] drives input streams and accepts output streams under a
//! [`Stall`] pattern, one cycle at a time, checking the handshake rules on every output
//! (a raised valid holds with the same data until taken) and comparing every output
//! beat against the golden model as it arrives. It also measures latency and the beat
//! interval on the signature's initiation-interval stream.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use generator::bits;
use generator::component::{Instance, StreamDef};
use generator::rng::Rng;
use generator::sv::Dir;
use generator::tensor::{Beat, TensorMap};
use golden::Format;
use sim::{BuildRequest, Library, Model, PortDecl, PortDir, Verilator};

use crate::monitor::{Monitor, ProbeLog, ProbePorts, Recorder};

/// Stall patterns crossed with every configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stall {
    /// Inputs always offered, outputs always ready.
    None,
    /// Random idle cycles on inputs.
    Idle,
    /// Random backpressure on outputs.
    Backpressure,
    /// Both.
    Both,
}

impl Stall {
    pub const ALL: [Stall; 4] = [Stall::None, Stall::Idle, Stall::Backpressure, Stall::Both];

    pub fn idle(self) -> bool {
        matches!(self, Stall::Idle | Stall::Both)
    }
    pub fn backpressure(self) -> bool {
        matches!(self, Stall::Backpressure | Stall::Both)
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stall::None => "none",
            Stall::Idle => "idle",
            Stall::Backpressure => "backpressure",
            Stall::Both => "both",
        })
    }
}

/// Why a co-simulation could not run (a mismatch is not an error: it is reported in
/// the [`RunOutcome`]).
#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    /// Building, loading or binding the Verilator model failed.
    #[error(transparent)]
    Sim(#[from] sim::SimError),
    /// The component could not give its stream beats or ROM contents.
    #[error(transparent)]
    Component(#[from] generator::GenError),
    /// A file or directory of the run could not be written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Waves were asked of a model built without tracing.
    #[error("the model was built without tracing (use --waves)")]
    NoTrace,
}

/// How one side of a stream stalls.
#[derive(Clone, Copy, Debug, PartialEq)]
enum StallMode {
    /// Never stalls.
    Never,
    /// Stalls each cycle with this probability (seeded).
    Random(f64),
    /// Stalls every fourth cycle: the period 1,1,1,0, which finds off-by-one
    /// handshake bugs that random stalls miss.
    EveryFourth,
}

/// Decides per cycle whether a side stalls, by its [`StallMode`]. Public so the fast
/// cycle simulator draws the identical stimulus (`crate::fast`).
pub struct Pattern {
    rng: Rng,
    mode: StallMode,
    tick: u64,
}

impl Pattern {
    /// An active side draws one of heavy random (50%), light random (20%) or
    /// periodic stalls; an inactive one never stalls.
    pub fn new(active: bool, rng: &mut Rng) -> Pattern {
        let mut rng = rng.fork(0x5741_4c4c);
        let mode = if active {
            match rng.below(3) {
                0 => StallMode::Random(0.5),
                1 => StallMode::Random(0.2),
                _ => StallMode::EveryFourth,
            }
        } else {
            StallMode::Never
        };
        Pattern { rng, mode, tick: 0 }
    }

    /// True when this side is blocked this cycle.
    #[inline]
    pub fn stalled(&mut self) -> bool {
        if self.mode == StallMode::Never {
            return false;
        }
        self.tick += 1;
        match self.mode {
            StallMode::EveryFourth => self.tick.is_multiple_of(4),
            StallMode::Random(p) => self.rng.chance(p),
            StallMode::Never => false,
        }
    }
}

/// Beats packed as their port holds them, one contiguous buffer (the cycle loop reads
/// them in order, so they should not be scattered over separate allocations).
struct Packed {
    words: Vec<u32>,
    stride: usize,
}

impl Packed {
    fn new(beats: &[Beat], format: Format) -> Packed {
        let stride = beats
            .first()
            .map_or(1, |b| bits::words_for(format.width() * b.len() as u32));
        let mut words = Vec::with_capacity(stride * beats.len());
        for b in beats {
            words.extend_from_slice(&bits::pack(b, format));
        }
        Packed { words, stride }
    }
    fn len(&self) -> usize {
        self.words.len() / self.stride
    }
    fn get(&self, i: usize) -> Option<&[u32]> {
        self.words.get(i * self.stride..(i + 1) * self.stride)
    }
}

/// The first output beat that differed from the golden model.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub stream: String,
    pub beat: usize,
    pub lane: usize,
    pub cycle: u64,
    pub expected: Beat,
    pub got: Beat,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stream {} beat {} lane {} at cycle {}: expected {:?}, got {:?}",
            self.stream, self.beat, self.lane, self.cycle, self.expected, self.got
        )
    }
}

/// Outcome of one run of one vector set.
#[derive(Clone, Debug, Default)]
pub struct RunOutcome {
    pub cycles: u64,
    pub beats_compared: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<Mismatch>,
    /// Handshake violations, timeouts, extra beats.
    pub errors: Vec<String>,
    /// Cycles from the first input handshake (or reset release) to the first output handshake.
    pub latency: Option<u64>,
    /// Mean cycles between handshakes on the initiation-interval stream.
    pub interval: Option<f64>,
    /// Cycle of the first input handshake.
    pub first_input: Option<u64>,
    /// Cycles of every handshake on the initiation-interval stream.
    pub ii_fires: Vec<u64>,
    /// Wall time of the cycle loop alone (after building stimulus and instantiating).
    pub loop_secs: f64,
    /// Output beats as observed, per stream.
    pub observed: BTreeMap<String, Vec<Beat>>,
    /// The cycle of every handshake, per stream (inputs and outputs), in beat order.
    pub handshakes: BTreeMap<String, Vec<u64>>,
    /// Every monitored internal stream's record, in monitor bit order (empty without a
    /// monitor: [`Dut::build_monitored`]).
    pub probes: Vec<ProbeLog>,
}

impl RunOutcome {
    pub fn passed(&self) -> bool {
        self.mismatches == 0 && self.errors.is_empty()
    }
}

/// A component instance built as a Verilator model.
pub struct Dut<'i> {
    pub inst: &'i dyn Instance,
    lib: Arc<Library>,
    mem_dir: PathBuf,
    streams: Vec<StreamDef>,
    probes: Option<ProbePorts>,
}

/// An exclusive advisory lock on `dir/.lock`, held while the returned file is open.
fn lock_dir(dir: &Path) -> Result<fs::File, CosimError> {
    let p = dir.join(".lock");
    let io = |source| CosimError::Io {
        path: p.display().to_string(),
        source,
    };
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(io)?;
    f.lock().map_err(io)?;
    Ok(f)
}

/// Port declarations of an instance's generated top.
pub fn ports_of(inst: &dyn Instance) -> Vec<PortDecl> {
    inst.top("mh_dut", "").ports.iter().map(port_decl).collect()
}

fn port_decl(p: &generator::sv::SvPort) -> PortDecl {
    PortDecl {
        name: p.name.clone(),
        width: p.width,
        dir: if p.dir == Dir::Input {
            PortDir::Input
        } else {
            PortDir::Output
        },
    }
}

impl<'i> Dut<'i> {
    /// Builds the model of `inst` (cached). ROM files live in a directory keyed by the
    /// component and its parameters, rewritten before each instantiation under an
    /// exclusive file lock (so concurrent processes never read each other's ROMs).
    pub fn build(
        v: &Verilator,
        inst: &'i dyn Instance,
        trace: bool,
    ) -> Result<Dut<'i>, CosimError> {
        Self::build_with(v, inst, trace, None)
    }

    /// [`Dut::build`] with the monitor wrapper `monitor` as the Verilator top (its
    /// `mh_dut` instance is the instance's top): the same ports plus the monitor's, so
    /// every run also records the monitored streams ([`RunOutcome::probes`]). A build
    /// of its own, cached apart from the unmonitored one.
    pub fn build_monitored(
        v: &Verilator,
        inst: &'i dyn Instance,
        monitor: &Monitor<'_>,
        trace: bool,
    ) -> Result<Dut<'i>, CosimError> {
        Self::build_with(v, inst, trace, Some(monitor))
    }

    fn build_with(
        v: &Verilator,
        inst: &'i dyn Instance,
        trace: bool,
        monitor: Option<&Monitor<'_>>,
    ) -> Result<Dut<'i>, CosimError> {
        let tag = format!(
            "{}-{:016x}",
            inst.component().name(),
            fnv(&inst.params().to_string())
        );
        let mem_dir = sim::tools::cache_dir().join("mem").join(tag);
        if !inst.memories().is_empty() {
            fs::create_dir_all(&mem_dir).map_err(|source| CosimError::Io {
                path: mem_dir.display().to_string(),
                source,
            })?;
        }
        let prefix = format!("{}/", mem_dir.display());
        let (mut files, mut order) = generator::emit::sources(inst, "mh_dut", &prefix);
        let mut ports = ports_of(inst);
        let mut top = "mh_dut";
        if let Some(m) = monitor {
            let file = format!("{}.sv", m.wrapper.name);
            files.insert(file.clone(), m.wrapper.print());
            order.push(file);
            ports = m.wrapper.ports.iter().map(port_decl).collect();
            top = &m.wrapper.name;
        }
        let req = BuildRequest {
            top,
            files: &files,
            order: &order,
            ports: &ports,
            trace,
        };
        let lib = v.build(&req)?;
        let probes = match monitor {
            Some(m) => Some(ProbePorts {
                valid: lib.port_index(m.valid_port)?,
                fire: lib.port_index(m.fire_port)?,
                count: ports
                    .iter()
                    .find(|p| p.name == m.fire_port)
                    .map_or(0, |p| p.width as usize),
            }),
            None => None,
        };
        Ok(Dut {
            inst,
            lib,
            mem_dir,
            streams: inst.streams(),
            probes,
        })
    }

    /// The directory of the built model (sources, objects, `libmodel.so`).
    pub fn library_dir(&self) -> &Path {
        self.lib.path().parent().unwrap_or(Path::new("."))
    }

    /// Runs one vector set: `inputs` through the model under `stall`, compared with
    /// `expected` (golden outputs). `waves` writes a VCD (the model must be built with trace).
    ///
    /// The phases: bind the ports to the streams' beats, instantiate with the ROM files
    /// in place, reset, drive and observe cycle by cycle, summarise.
    pub fn run(
        &self,
        inputs: &TensorMap,
        expected: &TensorMap,
        stall: Stall,
        seed: u64,
        waves: Option<&Path>,
    ) -> Result<RunOutcome, CosimError> {
        let mut all = inputs.clone();
        all.extend(expected.iter().map(|(k, v)| (k.clone(), v.clone())));
        let (mut ins, mut outs) = self.bind(&all, stall, seed)?;
        let lib = &*self.lib;
        let (clk, rst) = (lib.port_index("clk")?, lib.port_index("rst")?);
        let mut model = self.instantiate(&all, waves)?;
        reset(&mut model, clk, rst);
        let total_in: usize = ins.iter().map(|i| i.beats.len()).sum();
        let total_out: usize = outs.iter().map(|o| o.board.expects()).sum();
        let limit = cycle_limit(self.inst, total_in, total_out);
        let mut out = RunOutcome::default();
        let mut recorder = self.probes.map(Recorder::new);
        let started = std::time::Instant::now();
        let (cycles, timed_out) = drive(
            &mut model,
            clk,
            (&mut ins, &mut outs),
            recorder.as_mut(),
            limit,
            &mut out,
        );
        out.loop_secs = started.elapsed().as_secs_f64();
        out.probes = recorder.map(|r| r.logs).unwrap_or_default();
        let inputs = ins
            .into_iter()
            .map(|i| InputLog {
                name: i.name,
                beats: i.beats.len(),
                fires: i.fires,
            })
            .collect();
        let boards = outs.into_iter().map(|o| o.board).collect();
        let ii_stream = self.inst.timing().ii_stream;
        Ok(summarise(
            out, inputs, boards, cycles, timed_out, &ii_stream,
        ))
    }

    /// Binds every stream to its ports and beats, each side with its stall pattern
    /// (drawn in stream order from `seed`, as [`stall_schedule`] draws them).
    fn bind(
        &self,
        all: &TensorMap,
        stall: Stall,
        seed: u64,
    ) -> Result<(Vec<InPort>, Vec<OutPort>), CosimError> {
        let lib = &*self.lib;
        let mut rng = Rng::new(seed);
        let mut ins = Vec::new();
        let mut outs = Vec::new();
        for s in &self.streams {
            let beats = self.inst.stream_beats(s, all)?;
            let (data, valid, ready) = (
                lib.port_index(&s.name)?,
                lib.port_index(&format!("{}_valid", s.name))?,
                lib.port_index(&format!("{}_ready", s.name))?,
            );
            match s.direction {
                Dir::Input => ins.push(InPort {
                    name: s.name.clone(),
                    fires: Vec::new(),
                    data,
                    valid,
                    ready,
                    beats: Packed::new(&beats, s.format()),
                    pos: 0,
                    offering: false,
                    pattern: Pattern::new(stall.idle(), &mut rng),
                }),
                Dir::Output => outs.push(OutPort {
                    data,
                    valid,
                    ready,
                    board: Scoreboard::new(s, beats),
                    pattern: Pattern::new(stall.backpressure(), &mut rng),
                }),
            }
        }
        Ok((ins, outs))
    }

    /// A new model instance constructed with the ROM files of these tensors in place;
    /// `waves` opens a VCD.
    fn instantiate(&self, all: &TensorMap, waves: Option<&Path>) -> Result<Model<'_>, CosimError> {
        let lib = &*self.lib;
        let mems = generator::emit::memory_files(self.inst, Some(all))?;
        let model_guard = if mems.is_empty() {
            None
        } else {
            Some(lib.init_lock.lock().unwrap_or_else(|e| e.into_inner()))
        };
        // The ROM files are shared by every process using this cached build: an
        // exclusive lock on the directory covers writing them and `$readmemh` at
        // construction, so no other run's contents are read (the OS releases it
        // if the process dies).
        let files_guard = if mems.is_empty() {
            None
        } else {
            Some(lock_dir(&self.mem_dir)?)
        };
        for (name, text) in &mems {
            let p = self.mem_dir.join(name);
            fs::write(&p, text).map_err(|source| CosimError::Io {
                path: p.display().to_string(),
                source,
            })?;
        }
        let mut model = lib.instantiate();
        model.eval();
        drop(files_guard);
        drop(model_guard);
        if let Some(w) = waves
            && !model.trace_open(w)
        {
            return Err(CosimError::NoTrace);
        }
        Ok(model)
    }
}

/// An input stream bound to its ports: the beats to offer and its idle pattern.
struct InPort {
    name: String,
    fires: Vec<u64>,
    data: usize,
    valid: usize,
    ready: usize,
    beats: Packed,
    pos: usize,
    offering: bool,
    pattern: Pattern,
}

/// An output stream bound to its ports: its backpressure pattern and its checks.
struct OutPort {
    data: usize,
    valid: usize,
    ready: usize,
    board: Scoreboard,
    pattern: Pattern,
}

/// Three cycles with `rst` high and every valid and ready low.
fn reset(model: &mut Model<'_>, clk: usize, rst: usize) {
    model.set_u64(rst, 1);
    for _ in 0..3 {
        model.set_u64(clk, 0);
        model.eval();
        model.trace_step();
        model.set_u64(clk, 1);
        model.eval();
        model.trace_step();
    }
    model.set_u64(rst, 0);
}

/// The cycle loop: offers input beats (unless idle), sets each output's ready (unless
/// backpressured), evaluates the low phase, records input handshakes and observes every
/// output, then the rising edge. Runs until every expected beat arrived plus 16 cycles
/// with ready high (to catch extra beats), or past `limit`. Returns the cycle count and
/// whether the run timed out.
fn drive(
    model: &mut Model<'_>,
    clk: usize,
    (ins, outs): (&mut [InPort], &mut [OutPort]),
    mut recorder: Option<&mut Recorder>,
    limit: u64,
    out: &mut RunOutcome,
) -> (u64, bool) {
    let mut remaining: usize = outs.iter().map(|o| o.board.expects()).sum();
    let mut words = Vec::new();
    let mut cycle: u64 = 0;
    let mut drain: u64 = 0;
    loop {
        for i in ins.iter_mut() {
            if !i.offering && i.pos < i.beats.len() && !i.pattern.stalled() {
                i.offering = true;
                if let Some(w) = i.beats.get(i.pos) {
                    model.set_words(i.data, w);
                }
            }
            model.set_u64(i.valid, u64::from(i.offering));
        }
        // Once every expected beat arrived, hold ready high to catch extra beats; a
        // source without inputs (a ROM) streams forever, so it is held off instead.
        let done = remaining == 0;
        for o in outs.iter_mut() {
            let r = if done {
                !ins.is_empty()
            } else {
                !o.pattern.stalled()
            };
            model.set_u64(o.ready, u64::from(r));
        }
        model.set_u64(clk, 0);
        model.eval();
        model.trace_step();
        for i in ins.iter_mut() {
            if i.offering && model.get_u64(i.ready) == 1 {
                i.offering = false;
                i.pos += 1;
                i.fires.push(cycle);
            }
        }
        if let Some(r) = recorder.as_deref_mut() {
            r.sample(model, cycle);
        }
        for o in outs.iter_mut() {
            let valid = model.get_u64(o.valid) == 1;
            if valid || o.board.holding() {
                model.get_words(o.data, &mut words);
            }
            let ready = model.get_u64(o.ready) == 1;
            if o.board.observe(cycle, valid, Some(&words), ready, out) {
                remaining = remaining.saturating_sub(usize::from(o.board.got <= o.board.expects()));
            }
        }
        model.set_u64(clk, 1);
        model.eval();
        model.trace_step();
        cycle += 1;
        if remaining == 0 {
            drain += 1;
            if drain > 16 {
                return (cycle, false);
            }
        }
        if cycle > limit {
            return (cycle, true);
        }
    }
}

/// One output stream's checks, shared by the Verilator loop and the Icarus replay: the
/// hold rule (a raised valid keeps its data until taken), the comparison of every beat
/// with the golden beats as it arrives, extra beats, and the cycle of every handshake.
pub(crate) struct Scoreboard {
    pub(crate) name: String,
    lanes: usize,
    format: Format,
    expected: Vec<Beat>,
    /// Expected beats packed as the port holds them, compared word for word.
    expected_words: Packed,
    /// Observed beats, packed, concatenated.
    got_words: Vec<u32>,
    pub(crate) got: usize,
    pending: Option<Vec<u32>>,
    pub(crate) fires: Vec<u64>,
}

impl Scoreboard {
    pub(crate) fn new(s: &StreamDef, expected: Vec<Beat>) -> Scoreboard {
        let expected_words = Packed::new(&expected, s.format());
        Scoreboard {
            name: s.name.clone(),
            lanes: s.lanes,
            format: s.format(),
            got_words: Vec::with_capacity(expected_words.words.len()),
            fires: Vec::with_capacity(expected.len()),
            expected_words,
            expected,
            got: 0,
            pending: None,
        }
    }

    /// How many beats the golden model expects.
    pub(crate) fn expects(&self) -> usize {
        self.expected.len()
    }

    /// True while a valid beat waits to be taken (its data must be read next cycle).
    pub(crate) fn holding(&self) -> bool {
        self.pending.is_some()
    }

    /// One cycle of the port: `valid`, its data (`None`: x or z bits; read only when
    /// valid or [`Self::holding`]) and `ready`. Returns true when a beat was taken.
    pub(crate) fn observe(
        &mut self,
        cycle: u64,
        valid: bool,
        data: Option<&[u32]>,
        ready: bool,
        out: &mut RunOutcome,
    ) -> bool {
        if let Some(prev) = self.pending.take() {
            if !valid {
                out.errors.push(format!(
                    "{}: valid dropped at cycle {cycle} before the beat was taken",
                    self.name
                ));
            } else if data != Some(prev.as_slice()) {
                out.errors.push(format!(
                    "{}: data changed at cycle {cycle} while valid and not taken",
                    self.name
                ));
            }
        }
        if !valid {
            return false;
        }
        let Some(words) = data else {
            out.errors.push(format!(
                "{}: data has x or z bits at cycle {cycle}",
                self.name
            ));
            return false;
        };
        if !ready {
            self.pending = Some(words.to_vec());
            return false;
        }
        self.fires.push(cycle);
        let n = self.got;
        match self.expected_words.get(n) {
            None => out.errors.push(format!(
                "{}: extra beat {n} at cycle {cycle}: {:?}",
                self.name,
                bits::unpack(words, self.lanes, self.format)
            )),
            Some(exp) => {
                out.beats_compared += 1;
                if exp != words {
                    out.mismatches += 1;
                    if out.first_mismatch.is_none() {
                        let beat = bits::unpack(words, self.lanes, self.format);
                        let exp = &self.expected[n];
                        let lane = exp.iter().zip(&beat).position(|(a, b)| a != b).unwrap_or(0);
                        out.first_mismatch = Some(Mismatch {
                            stream: self.name.clone(),
                            beat: n,
                            lane,
                            cycle,
                            expected: exp.clone(),
                            got: beat,
                        });
                    }
                }
            }
        }
        self.got_words.extend_from_slice(words);
        self.got += 1;
        true
    }

    /// The beats observed, unpacked.
    fn observed(&self) -> Vec<Beat> {
        let per = bits::words_for(self.format.width() * self.lanes as u32);
        self.got_words
            .chunks(per)
            .map(|w| bits::unpack(w, self.lanes, self.format))
            .collect()
    }
}

/// One input stream's record of a run: its beat count and the cycle of every handshake.
pub(crate) struct InputLog {
    pub(crate) name: String,
    pub(crate) beats: usize,
    pub(crate) fires: Vec<u64>,
}

/// The outcome of a finished run from its stream logs: timeouts and inputs left
/// unaccepted, latency, the beat interval on `ii_stream`, every handshake and the
/// observed beats. Shared by the Verilator loop and the Icarus replay, so both give
/// the same verdict in the same words.
pub(crate) fn summarise(
    mut out: RunOutcome,
    ins: Vec<InputLog>,
    outs: Vec<Scoreboard>,
    cycles: u64,
    timed_out: bool,
    ii_stream: &str,
) -> RunOutcome {
    if timed_out {
        for o in &outs {
            if o.got < o.expects() {
                out.errors.push(format!(
                    "{}: timeout after {cycles} cycles with {} of {} beats",
                    o.name,
                    o.got,
                    o.expects()
                ));
            }
        }
        for (k, i) in ins.iter().enumerate() {
            if i.fires.len() < i.beats {
                out.errors.push(format!(
                    "input stream {k}: {} of {} beats accepted",
                    i.fires.len(),
                    i.beats
                ));
            }
        }
    }
    for i in &ins {
        if i.fires.len() < i.beats && out.errors.is_empty() {
            out.errors.push(format!(
                "outputs complete but only {} of {} input beats were accepted",
                i.fires.len(),
                i.beats
            ));
        }
    }
    if out.errors.len() > 8 {
        let more = out.errors.len() - 8;
        out.errors.truncate(8);
        out.errors.push(format!("... and {more} more"));
    }
    out.cycles = cycles;
    let first_in = ins.iter().filter_map(|i| i.fires.first().copied()).min();
    let first_out = outs.iter().filter_map(|o| o.fires.first().copied()).min();
    out.latency = match (first_in, first_out) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        (None, Some(b)) if ins.is_empty() => Some(b),
        _ => None,
    };
    let fires = outs
        .iter()
        .find(|o| o.name == ii_stream)
        .map(|o| &o.fires)
        .or_else(|| ins.iter().find(|i| i.name == ii_stream).map(|i| &i.fires));
    out.first_input = first_in;
    out.ii_fires = fires.cloned().unwrap_or_default();
    if let Some(f) = fires.filter(|f| f.len() >= 2) {
        out.interval = Some((f[f.len() - 1] - f[0]) as f64 / (f.len() - 1) as f64);
    }
    out.observed = outs
        .iter()
        .map(|o| (o.name.clone(), o.observed()))
        .collect();
    out.handshakes = ins
        .into_iter()
        .map(|i| (i.name, i.fires))
        .chain(outs.into_iter().map(|o| (o.name, o.fires)))
        .collect();
    out
}
/// FNV-1a, for short stable tags.
fn fnv(s: &str) -> u64 {
    golden::hash::fnv1a(s.as_bytes())
}

/// The decisions of every stream's stall pattern for one run, in stream order, as the
/// cycle loop of [`Dut::run`] draws them: element `k` of a stream's list is what that
/// stream's `k`-th stall question answers (true = stalled). A simulator that cannot call
/// back into Rust (Icarus) replays these from a file, so it sees the same stalls.
pub fn stall_schedule(inst: &dyn Instance, stall: Stall, seed: u64, len: usize) -> Vec<Vec<bool>> {
    let mut rng = Rng::new(seed);
    inst.streams()
        .iter()
        .map(|s| {
            let active = if s.direction == Dir::Input {
                stall.idle()
            } else {
                stall.backpressure()
            };
            let mut p = Pattern::new(active, &mut rng);
            (0..len).map(|_| p.stalled()).collect()
        })
        .collect()
}

/// The cycle budget of one run: past it, missing beats are a timeout.
pub fn cycle_limit(inst: &dyn Instance, beats_in: usize, beats_out: usize) -> u64 {
    2_000 + 40 * (beats_in + beats_out) as u64 * inst.timing().initiation_interval.max(1)
}
