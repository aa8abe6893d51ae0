//! The component abstraction: a [`Component`] declares parameters and configurations to
//! test; elaborating it with validated [`Params`] yields an [`Instance`] that knows its
//! streams, memories, timing, golden model and how to wrap its hand-written SV module
//! in a flat top. Everything downstream (emission, co-simulation, the CLI) works from an
//! `Instance` and its [`Signature`], never by parsing SystemVerilog.

use std::collections::BTreeMap;

use golden::Format;
use serde::Serialize;

use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvInstance, SvModule, SvPort, SvValue, SvWire};
use crate::tensor::{Beat, Dim, Tensor, TensorMap};

/// A component kind in the registry.
pub trait Component: Sync {
    /// Registry name (`cast`, `linear`, …), also the stem of every file of the component.
    fn name(&self) -> &'static str;
    /// One line for `mase-hw components`.
    fn summary(&self) -> &'static str;
    /// Declared parameters with defaults and ranges.
    fn params(&self) -> &'static [ParamSpec];
    /// Checks the rules between parameters and builds the instance.
    fn elaborate(&self, params: &Params) -> Result<Box<dyn Instance>, GenError>;
    /// Corner configurations (as overrides of the defaults) the regression always runs.
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>>;
    /// A random legal configuration (as overrides of the defaults).
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)>;

    /// Defaults overridden by `overrides`, elaborated.
    fn configure(&self, overrides: &[(&str, i64)]) -> Result<Box<dyn Instance>, GenError> {
        self.elaborate(&Params::with(self.name(), self.params(), overrides)?)
    }
}

/// How a stream of the flat top reaches the hand-written module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoreBinding {
    /// The module has ports `<name>`, `<name>_valid`, `<name>_ready`.
    Direct,
    /// The module bundles N streams as `<base>[N-1:0][W-1:0]`, `<base>_valid[N-1:0]`, …;
    /// this stream is element `index` of `count`.
    Bundle {
        base: &'static str,
        index: usize,
        count: usize,
    },
}

/// A valid/ready stream of the top.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StreamDef {
    pub name: String,
    pub direction: Dir,
    pub lanes: usize,
    pub lane_width: u32,
    pub frac_width: i32,
    pub signed: bool,
    /// The tensor this stream carries (beats in block order unless the component says otherwise).
    pub tensor: String,
    #[serde(skip)]
    pub binding: CoreBinding,
}

impl StreamDef {
    pub fn new(name: &str, direction: Dir, lanes: usize, format: Format, tensor: &str) -> Self {
        StreamDef {
            name: name.to_string(),
            direction,
            lanes,
            lane_width: format.width(),
            frac_width: format.frac(),
            signed: format.is_signed(),
            tensor: tensor.to_string(),
            binding: CoreBinding::Direct,
        }
    }

    pub fn bundled(mut self, base: &'static str, index: usize, count: usize) -> Self {
        self.binding = CoreBinding::Bundle { base, index, count };
        self
    }

    pub fn format(&self) -> Format {
        match Format::new(self.lane_width, self.frac_width, self.signed) {
            Ok(f) => f,
            Err(e) => unreachable!("stream {} has an invalid format: {e}", self.name),
        }
    }

    pub fn data_width(&self) -> u32 {
        self.lanes as u32 * self.lane_width
    }
}

/// The three ports of stream `s` on a top: data and valid in `s.direction`, ready
/// the other way.
pub fn stream_ports(s: &StreamDef) -> [SvPort; 3] {
    let ready = match s.direction {
        Dir::Input => Dir::Output,
        Dir::Output => Dir::Input,
    };
    [
        SvPort {
            name: s.name.clone(),
            dir: s.direction,
            width: s.data_width(),
        },
        SvPort {
            name: format!("{}_valid", s.name),
            dir: s.direction,
            width: 1,
        },
        SvPort {
            name: format!("{}_ready", s.name),
            dir: ready,
            width: 1,
        },
    ]
}

/// The one stream-wiring path of every generated top (a component's flat top and a
/// stitched system): connects each `(stream, wire)` of one module instance to the
/// triple `wire`, `wire_valid`, `wire_ready`. A direct stream connects port to wire;
/// a bundled stream (a fork's outputs, a join's inputs) becomes an element of the
/// local bundle `<bundle_prefix><base>` (declared here, with typed dimensions),
/// joined to the wire by `assign`s. With `declare_outputs`, the wires of output
/// streams are declared as local wires (a system's internal streams; a flat top's
/// are its ports). Returns the instance's connections, in stream order, bundles
/// last.
pub fn connect_streams(
    m: &mut SvModule,
    bundle_prefix: &str,
    streams: Vec<(StreamDef, String)>,
    declare_outputs: bool,
) -> Vec<(String, String)> {
    let mut conns = Vec::new();
    let mut bundles: BTreeMap<&'static str, (usize, u32)> = BTreeMap::new();
    for (s, wire) in streams {
        if declare_outputs && s.direction == Dir::Output {
            m.wires.push(SvWire::bits(wire.clone(), s.data_width()));
            m.wires.push(SvWire::bits(format!("{wire}_valid"), 1));
            m.wires.push(SvWire::bits(format!("{wire}_ready"), 1));
        }
        match s.binding {
            CoreBinding::Direct => {
                for suffix in ["", "_valid", "_ready"] {
                    conns.push((format!("{}{suffix}", s.name), format!("{wire}{suffix}")));
                }
            }
            CoreBinding::Bundle { base, index, count } => {
                bundles.insert(base, (count, s.data_width()));
                let b = format!("{bundle_prefix}{base}");
                let into_core = s.direction == Dir::Input;
                for (core, flat, to_core) in [
                    (format!("{b}[{index}]"), wire.clone(), into_core),
                    (
                        format!("{b}_valid[{index}]"),
                        format!("{wire}_valid"),
                        into_core,
                    ),
                    (
                        format!("{b}_ready[{index}]"),
                        format!("{wire}_ready"),
                        !into_core,
                    ),
                ] {
                    m.assigns
                        .push(if to_core { (core, flat) } else { (flat, core) });
                }
            }
        }
    }
    for (base, (count, width)) in &bundles {
        let b = format!("{bundle_prefix}{base}");
        let n = *count as u32;
        m.wires.push(SvWire::packed(b.clone(), &[n, *width]));
        m.wires.push(SvWire::packed(format!("{b}_valid"), &[n]));
        m.wires.push(SvWire::packed(format!("{b}_ready"), &[n]));
        for suffix in ["", "_valid", "_ready"] {
            conns.push((format!("{base}{suffix}"), format!("{b}{suffix}")));
        }
    }
    conns
}

/// A ROM whose contents come from a tensor and are written to a `.mem` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemDef {
    /// The tensor stored.
    pub tensor: String,
    /// The SV parameter of the module that names the file.
    pub param: String,
    /// File name (relative to the emitted directory).
    pub file: String,
    /// Words in the file and bits per word.
    pub depth: usize,
    pub word_width: u32,
}

/// Shape and format of a tensor the instance consumes or produces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TensorDef {
    pub name: String,
    pub direction: Dir,
    pub shape: Vec<Dim>,
    #[serde(serialize_with = "ser_format")]
    pub format: Format,
}

fn ser_format<S: serde::Serializer>(f: &Format, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&f.to_string())
}

/// Timing facts of an instance, as promised in its signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// Cycles from the handshake of the first input beat to the handshake of the first
    /// output beat with no stalls (from reset release for components without inputs).
    pub latency: u64,
    /// Cycles between accepted beats of the named stream in steady state.
    pub initiation_interval: u64,
    /// The stream the initiation interval counts.
    pub ii_stream: String,
}

/// A stated accuracy bound against the float reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccuracyBound {
    /// Largest allowed |golden - float| in output LSBs.
    pub max_lsb: f64,
    /// What the bound covers, in words.
    pub note: String,
}

/// One accuracy figure beyond max/mean error, with the check it must pass.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccuracyFigure {
    pub name: String,
    pub value: f64,
    /// Minimum allowed value (`None`: reported only).
    pub min: Option<f64>,
    /// Maximum allowed value (`None`: reported only).
    pub max: Option<f64>,
}

/// The machine-readable description of an emitted top: what the stitcher and the
/// test harness read instead of parsing SystemVerilog.
#[derive(Clone, Debug, Serialize)]
pub struct Signature {
    pub component: String,
    pub module: String,
    pub top: String,
    pub parameters: BTreeMap<String, String>,
    pub clock: String,
    pub reset: String,
    pub ports: Vec<PortSig>,
    pub streams: Vec<StreamDef>,
    pub tensors: Vec<TensorDef>,
    pub memories: Vec<MemDef>,
    pub timing: Timing,
    /// Combinational paths between handshake signals, as (from, to) port names.
    pub combinational_paths: Vec<(String, String)>,
    /// Resource-relevant counts (multipliers, memory bits, …).
    pub resources: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortSig {
    pub name: String,
    pub direction: Dir,
    pub width: u32,
}

/// What an instance's first output waits for on one input stream, assuming the
/// stream's beats arrive back to back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstOutput {
    /// One beat: the output follows each input beat (elementwise, lane regrouping, bit
    /// movers, reductions within a beat).
    Beat,
    /// A whole row: `beats` beats of this stream (for the data input, the tensor's
    /// last axis over the stream's lanes) before the first output beat.
    Row { beats: usize },
    /// The whole tensor of one item (one head, for per-head operands): `beats` beats
    /// before the first output beat.
    Tensor { beats: usize },
}

impl FirstOutput {
    /// Beats that must have arrived before the first output (1 for [`Self::Beat`]).
    pub fn beats(self) -> usize {
        match self {
            FirstOutput::Beat => 1,
            FirstOutput::Row { beats } | FirstOutput::Tensor { beats } => beats,
        }
    }
}

/// The declared behaviour of one input stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputBehaviour {
    /// The input stream (one of [`Instance::streams`]).
    pub stream: String,
    /// What the first output waits for on this stream.
    pub first_output: FirstOutput,
    /// The stream is read only once stream `after`'s [`FirstOutput`] is met; the
    /// signature latency then counts from `after`'s first beat (matmul: A rows
    /// start once B is held).
    pub after: Option<String>,
}

/// What an instance *is*, as stitching, timing and the cycle simulator read it
/// (nothing outside a component matches on its name). Every instance declares it;
/// the registry test checks each declaration against the signature and the golden
/// model (`generator/tests/contract.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Behaviour {
    /// The component moves raw bits without interpreting them (fork, fifo, skid
    /// buffer, transpose, resize): its streams are `unsigned(W, 0)` lanes, its
    /// outputs hold only values of its inputs, and the stitcher inserts no cast in
    /// front of it (edges keep the meaning of what flows through).
    pub moves_bits: bool,
    /// One entry per input stream, in stream order.
    pub inputs: Vec<InputBehaviour>,
}

impl Behaviour {
    /// A computing (`moves_bits: false`) or moving component whose input streams
    /// `inputs` each wait as given, none after another.
    pub fn new(moves_bits: bool, inputs: &[(&str, FirstOutput)]) -> Self {
        Behaviour {
            moves_bits,
            inputs: inputs
                .iter()
                .map(|(s, f)| InputBehaviour {
                    stream: (*s).to_string(),
                    first_output: *f,
                    after: None,
                })
                .collect(),
        }
    }

    /// The same with input `stream` read only after `after` (see [`InputBehaviour::after`]).
    pub fn with_after(mut self, stream: &str, after: &str) -> Self {
        for i in &mut self.inputs {
            if i.stream == stream {
                i.after = Some(after.to_string());
            }
        }
        self
    }

    /// The declaration of input `stream`.
    pub fn input(&self, stream: &str) -> Option<&InputBehaviour> {
        self.inputs.iter().find(|i| i.stream == stream)
    }

    /// The strongest wait over all inputs: whole tensor, then row, then beat.
    pub fn strongest(&self) -> FirstOutput {
        let rank = |f: &FirstOutput| match f {
            FirstOutput::Beat => 0,
            FirstOutput::Row { .. } => 1,
            FirstOutput::Tensor { .. } => 2,
        };
        self.inputs
            .iter()
            .map(|i| i.first_output)
            .max_by_key(rank)
            .unwrap_or(FirstOutput::Beat)
    }

    /// Some input waits for more than one beat (a row or a tensor) before the first
    /// output: inside its first row the component emits at its own rate.
    pub fn buffers(&self) -> bool {
        self.strongest() != FirstOutput::Beat
    }

    /// Some input waits for a whole tensor: the component emits rows at its own rate
    /// whatever its producer's.
    pub fn holds_tensor(&self) -> bool {
        matches!(self.strongest(), FirstOutput::Tensor { .. })
    }
}

/// A validated configuration of a component.
pub trait Instance: Send + Sync {
    fn component(&self) -> &'static dyn Component;
    fn params(&self) -> &Params;
    /// The hand-written module the top instantiates.
    fn module(&self) -> &'static str;
    /// Library modules needed, dependencies first, the module itself last.
    fn library(&self) -> Vec<&'static str>;
    /// Parameters passed to the module, in declaration order.
    fn sv_params(&self, mem_dir: &str) -> Vec<(String, SvValue)>;
    fn streams(&self) -> Vec<StreamDef>;
    fn memories(&self) -> Vec<MemDef> {
        Vec::new()
    }
    /// DSP, LUT, FF, BRAM36 and URAM estimate ([`crate::resources`]); default: from
    /// [`Self::resources`] and the streams.
    fn resource_estimate(&self) -> crate::resources::ResourceEstimate {
        crate::resources::generic(self)
    }
    fn tensors(&self) -> Vec<TensorDef>;
    fn timing(&self) -> Timing;
    /// How the instance buffers and whether it only moves bits (required: a default
    /// could silently be wrong for a new component).
    fn behaviour(&self) -> Behaviour;
    fn combinational_paths(&self) -> Vec<(String, String)>;
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::new()
    }
    /// The weight format of a component with a weight matrix (e.g. `s8.7 per_tensor`,
    /// `8-bit mx(block 32), frac 12 - shift, 4-bit shifts`), for reports.
    fn weight_format(&self) -> Option<String> {
        None
    }
    /// Extra connections of module inputs that are not part of any stream (tie-offs).
    fn tie_offs(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Module outputs that are not part of any stream, with their widths. The top
    /// connects each to a wire `unused_<port>` (Verilator's default unused pattern).
    fn unused_outputs(&self) -> Vec<(String, u32)> {
        Vec::new()
    }

    /// Random input tensors with `batch` as every free dimension.
    fn random_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        self.tensors()
            .iter()
            .filter(|t| t.direction == Dir::Input)
            .map(|t| {
                let shape: Vec<usize> = t
                    .shape
                    .iter()
                    .map(|d| match *d {
                        Dim::Fixed(n) => n,
                        Dim::Batch => batch,
                        Dim::Multiple(m) => m,
                    })
                    .collect();
                let raw = (0..Tensor::numel(&shape))
                    .map(|_| rng.raw_in(t.format))
                    .collect();
                (t.name.clone(), Tensor::new(shape, raw, t.format))
            })
            .collect()
    }

    /// The golden model: output tensors from input tensors (already checked).
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError>;

    /// The float (f64) reference: the mathematical function the component approximates,
    /// evaluated on the dequantised inputs, per output tensor in real units (row-major).
    /// `None` for components that are exact by construction (their golden model is the
    /// reference).
    fn float_reference(
        &self,
        _inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        Ok(None)
    }

    /// The error bound users may rely on, checked by `mase-hw test --accuracy`.
    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        None
    }

    /// Inputs for accuracy measurement (default: the random inputs of the regression);
    /// components override this with realistic distributions and hard cases.
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        self.random_inputs(rng, batch)
    }

    /// Component-specific accuracy figures (name, value), e.g. softmax argmax agreement,
    /// each with the bound it must meet (`None`: reported only).
    fn accuracy_extras(
        &self,
        _inputs: &TensorMap,
        _golden: &TensorMap,
        _float: &BTreeMap<String, Vec<f64>>,
    ) -> Vec<AccuracyFigure> {
        Vec::new()
    }

    /// Beats of a stream for the given tensors (inputs and golden outputs). Default:
    /// block order of the stream's tensor.
    fn stream_beats(&self, stream: &StreamDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        let name = self.component().name();
        let t = crate::tensor::require(tensors, name, &stream.tensor, "stream data")?;
        t.to_beats(name, &stream.tensor, stream.lanes)
    }

    /// Words of a memory, each word's lanes least significant first (as raw codes of the
    /// tensor's format). Default: block order with `word_width / lane width` lanes.
    fn memory_words(&self, mem: &MemDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        let name = self.component().name();
        let t = crate::tensor::require(tensors, name, &mem.tensor, "memory contents")?;
        let lanes = (mem.word_width / t.format.width()) as usize;
        t.to_beats(name, &mem.tensor, lanes)
    }

    /// Appends ROM `mem`'s `.mem` text (one hex line per word, see
    /// [`crate::bits::write_mem`]) to `out`; `format` is the ROM tensor's format.
    /// Default: from [`Self::memory_words`]; components with large ROMs stream their
    /// word order instead of building it.
    fn write_memory(
        &self,
        mem: &MemDef,
        tensors: &TensorMap,
        format: golden::Format,
        out: &mut Vec<u8>,
    ) -> Result<(), GenError> {
        let words = self.memory_words(mem, tensors)?;
        crate::bits::write_mem(out, words.iter().map(Vec::as_slice), format, mem.word_width);
        Ok(())
    }

    /// Checks tensor names, shapes (free dimensions agree) and code ranges of the inputs.
    fn check_inputs(&self, inputs: &TensorMap) -> Result<(), GenError> {
        let name = self.component().name();
        let defs = self.tensors();
        if let Some(extra) = inputs.keys().find(|k| {
            !defs
                .iter()
                .any(|d| d.direction == Dir::Input && &d.name == *k)
        }) {
            let known: Vec<&str> = defs
                .iter()
                .filter(|d| d.direction == Dir::Input)
                .map(|d| d.name.as_str())
                .collect();
            return Err(GenError::bad_tensor(
                name,
                extra,
                format!("not an input (inputs: {})", known.join(", ")),
            ));
        }
        let mut batch: Option<(usize, String)> = None;
        for d in defs.iter().filter(|d| d.direction == Dir::Input) {
            let want: Vec<String> = d.shape.iter().map(Dim::to_string).collect();
            let t = crate::tensor::require(
                inputs,
                name,
                &d.name,
                &format!("shape [{}]", want.join(", ")),
            )?;
            t.check_shape(name, &d.name, &d.shape)?;
            if t.format != d.format {
                return Err(GenError::bad_tensor(
                    name,
                    &d.name,
                    format!("format {} differs from {}", t.format, d.format),
                ));
            }
            t.check_range(name, &d.name)?;
            for (s, e) in t.shape.iter().zip(&d.shape) {
                if *e == Dim::Batch {
                    match &batch {
                        None => batch = Some((*s, d.name.clone())),
                        Some((b, other)) if b != s => {
                            return Err(GenError::bad_tensor(
                                name,
                                &d.name,
                                format!("free dimension {s} differs from {b} of `{other}`"),
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// The flat top module: one port triple per stream; bundled streams are split out.
    /// Generated modules the top instantiates besides library modules (a multi-device
    /// system's device tops), dependencies first. Default: none.
    fn generated(&self, _mem_dir: &str) -> Vec<SvModule> {
        Vec::new()
    }

    fn top(&self, top: &str, mem_dir: &str) -> SvModule {
        let mut m = SvModule {
            name: top.to_string(),
            doc: vec![format!(
                "{top}: {} ({}) with parameters fixed; generated by mase-hw.",
                self.module(),
                self.component().name()
            )],
            ..SvModule::default()
        };
        m.ports.push(SvPort {
            name: "clk".into(),
            dir: Dir::Input,
            width: 1,
        });
        m.ports.push(SvPort {
            name: "rst".into(),
            dir: Dir::Input,
            width: 1,
        });
        let mut conns: Vec<(String, String)> =
            vec![("clk".into(), "clk".into()), ("rst".into(), "rst".into())];
        let streams = self.streams();
        for s in &streams {
            m.ports.extend(stream_ports(s));
        }
        let wired: Vec<(StreamDef, String)> =
            streams.into_iter().map(|s| (s.clone(), s.name)).collect();
        conns.extend(connect_streams(&mut m, "", wired, false));
        conns.extend(self.tie_offs());
        for (port, width) in self.unused_outputs() {
            m.wires.push(SvWire::bits(format!("unused_{port}"), width));
            conns.push((port.clone(), format!("unused_{port}")));
        }
        m.instances.push(SvInstance {
            module: self.module().to_string(),
            name: "u_core".into(),
            params: self.sv_params(mem_dir),
            conns,
        });
        m
    }

    /// The signature of the flat top named `top`.
    fn signature(&self, top: &str) -> Signature {
        let c = self.component();
        Signature {
            component: c.name().to_string(),
            module: self.module().to_string(),
            top: top.to_string(),
            parameters: c
                .params()
                .iter()
                .map(|s| {
                    (
                        s.name.to_string(),
                        s.display_value(self.params().get(s.name)),
                    )
                })
                .collect(),
            clock: "clk".into(),
            reset: "rst (synchronous, active high)".into(),
            ports: self
                .top(top, "")
                .ports
                .into_iter()
                .map(|p| PortSig {
                    name: p.name,
                    direction: p.dir,
                    width: p.width,
                })
                .collect(),
            streams: self.streams(),
            tensors: self.tensors(),
            memories: self.memories(),
            timing: self.timing(),
            combinational_paths: self.combinational_paths(),
            resources: self.resources(),
        }
    }
}
