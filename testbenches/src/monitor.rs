//! Internal handshakes of a Verilator run. A design built with a monitor wrapper (see
//! `system::monitor`) exposes two flat outputs, one bit per observed stream: its
//! `valid` and its `valid && ready`. The [`Recorder`] samples both after the low-phase
//! evaluation of every cycle (where the cycle loop also samples the top's own
//! handshakes) and keeps per stream the cycle its beat's valid rose and the cycle of
//! its handshake, beat by beat: the records the fast cycle simulator keeps per stream.
//!
//! It sees only what the wrapper exposes: streams, never a component's internal state.

use generator::sv::SvModule;
use sim::Model;

/// A monitor wrapper: the module (instantiating the design's top `mh_dut`) and the
/// names of its valid and handshake outputs.
pub struct Monitor<'a> {
    pub wrapper: &'a SvModule,
    pub valid_port: &'a str,
    pub fire_port: &'a str,
}

/// One observed stream's record of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbeLog {
    /// Per beat, the cycle its valid rose (the beat's first offered cycle).
    pub valid: Vec<u64>,
    /// Per beat, the cycle of its handshake.
    pub fires: Vec<u64>,
}

/// The model ports of a monitor and the number of streams they carry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProbePorts {
    pub(crate) valid: usize,
    pub(crate) fire: usize,
    pub(crate) count: usize,
}

/// Samples the monitor ports cycle by cycle.
pub(crate) struct Recorder {
    ports: ProbePorts,
    /// Bit k: stream k offered a beat last cycle that was not taken.
    offering: Vec<u32>,
    valid: Vec<u32>,
    fire: Vec<u32>,
    pub(crate) logs: Vec<ProbeLog>,
}

impl Recorder {
    pub(crate) fn new(ports: ProbePorts) -> Recorder {
        Recorder {
            ports,
            offering: vec![0; ports.count.div_ceil(32)],
            valid: Vec::new(),
            fire: Vec::new(),
            logs: vec![ProbeLog::default(); ports.count],
        }
    }

    /// Reads both ports after the low-phase evaluation of `cycle`: a valid that is high
    /// without a beat pending from the previous cycle starts a beat; a handshake ends it.
    pub(crate) fn sample(&mut self, model: &Model<'_>, cycle: u64) {
        model.get_words(self.ports.valid, &mut self.valid);
        model.get_words(self.ports.fire, &mut self.fire);
        for (w, off) in self.offering.iter_mut().enumerate() {
            let v = self.valid.get(w).copied().unwrap_or(0);
            let f = self.fire.get(w).copied().unwrap_or(0);
            let mut rose = v & !*off;
            while rose != 0 {
                let k = w * 32 + rose.trailing_zeros() as usize;
                if let Some(l) = self.logs.get_mut(k) {
                    l.valid.push(cycle);
                }
                rose &= rose - 1;
            }
            let mut fired = f;
            while fired != 0 {
                let k = w * 32 + fired.trailing_zeros() as usize;
                if let Some(l) = self.logs.get_mut(k) {
                    l.fires.push(cycle);
                }
                fired &= fired - 1;
            }
            *off = v & !f;
        }
    }
}
