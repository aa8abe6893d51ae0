//! Cycle-stepped models for components whose control is too tangled for a closed-form
//! beat recurrence (several FIFOs and stall-as-a-whole pipelines inside one module).
//! A [`Stepped`] model mirrors the RTL's control registers (valid bits, counters, FIFO
//! counts, never the data) and advances one clock at a time; [`Stepper`] drives it
//! from the engine: it posts an input's ready window the first cycle its ready is high
//! (the RTL's input readies only fall on a handshake, so the window holds until then),
//! posts an output's valid the cycle it rises, and stops at a cycle whose handshakes
//! it cannot know yet. Cost grows with the cycles a node is busy; idle stretches are
//! skipped.

use super::{CycleModel, Io, Ready};

/// A component's control registers, one clock at a time.
pub trait Stepped: Send + Clone + PartialEq {
    /// `data_in_ready` of input `i` this cycle (must only fall on a handshake).
    fn in_ready(&self, i: usize) -> bool;
    /// `data_out_valid` of output `o` this cycle.
    fn out_valid(&self, o: usize) -> bool;
    /// Nothing in flight: the state does not change until an input handshake.
    fn idle(&self) -> bool;
    /// One rising edge: `fire[i]` whether input `i` handshakes, `ready[o]` the
    /// output's ready (only read while its valid is high).
    fn step(&mut self, fire: &[bool], ready: &[bool]);
    /// Whether input `i` is stepped (its handshake decided cycle by cycle). An input
    /// that is not is the model's own business in [`Stepped::prepare`]: it posts the
    /// ready windows from its state and reads handshake cycles only when they matter,
    /// so the model does not wait for a beat whose arrival cannot change this cycle.
    fn stepped(&self, _i: usize) -> bool {
        true
    }
    /// Called at the start of every cycle: posts what it can on unstepped inputs and
    /// caches what `step` needs from them; `None` when this cycle needs a handshake
    /// cycle not known yet. Returns whether anything was posted.
    fn prepare(&mut self, _io: &mut Io<'_>, _cycle: u64) -> Option<bool> {
        Some(false)
    }
    /// How many beats of output `o` have timing that no input beat after the first
    /// `taken[i]` of each input can change (beats are processed in order and a later
    /// beat never delays an earlier one). While waiting for an input beat, the stepper
    /// runs ahead on a copy assuming it has not come and posts those outputs. 0: never.
    fn safe_outputs(&self, _taken: &[usize], _o: usize) -> usize {
        0
    }
}

/// Runs a [`Stepped`] model as a [`CycleModel`].
pub struct Stepper<S> {
    s: S,
    cycle: u64,
    taken: Vec<usize>,
    sent: Vec<usize>,
    fire: Vec<bool>,
    ready: Vec<bool>,
    /// Cycle and known output handshakes of the last run-ahead (not repeated unchanged).
    spec_key: Option<(u64, usize)>,
}

impl<S: Stepped> Stepper<S> {
    pub fn new(s: S, ins: usize, outs: usize) -> Stepper<S> {
        Stepper {
            s,
            cycle: 0,
            taken: vec![0; ins],
            sent: vec![0; outs],
            fire: vec![false; ins],
            ready: vec![false; outs],
            spec_key: None,
        }
    }
}

impl<S: Stepped> CycleModel for Stepper<S> {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let mut progress = false;
        loop {
            let c = self.cycle;
            match self.s.prepare(io, c) {
                Some(p) => progress |= p,
                None => return progress,
            }
            let stepped_done = (0..self.taken.len())
                .all(|i| !self.s.stepped(i) || self.taken[i] >= io.in_beats(i));
            let ins_done = stepped_done
                && (0..self.taken.len()).all(|i| {
                    self.s.stepped(i)
                        || io.in_beats(i) == 0
                        || io.in_hs(i, io.in_beats(i) - 1).is_some()
                });
            let outs_done = (0..self.sent.len()).all(|o| self.sent[o] >= io.out_beats(o));
            if outs_done && ins_done {
                return progress;
            }
            if self.s.idle() {
                if stepped_done {
                    return progress;
                }
                // Skip to the next input handshake if every pending one is known.
                let mut next = u64::MAX;
                let mut known = true;
                for i in 0..self.taken.len() {
                    let k = self.taken[i];
                    if k >= io.in_beats(i) || !self.s.stepped(i) {
                        continue;
                    }
                    if io.ready_posted(i) == k {
                        known = false;
                        continue;
                    }
                    match io.in_hs(i, k) {
                        Some(h) => next = next.min(h),
                        None => known = false,
                    }
                }
                if known && next != u64::MAX && next > c {
                    self.cycle = next;
                    continue;
                }
            }
            for i in 0..self.taken.len() {
                let k = self.taken[i];
                self.fire[i] = false;
                if k >= io.in_beats(i) || !self.s.stepped(i) || !self.s.in_ready(i) {
                    continue;
                }
                if io.ready_posted(i) == k {
                    io.post_ready(i, Ready::from(c));
                    progress = true;
                }
                match io.in_hs(i, k) {
                    Some(h) => self.fire[i] = h == c,
                    None => return progress,
                }
            }
            for o in 0..self.sent.len() {
                let j = self.sent[o];
                self.ready[o] = false;
                if j >= io.out_beats(o) || !self.s.out_valid(o) {
                    continue;
                }
                if io.valid_posted(o) == j {
                    io.post_valid(o, c);
                    progress = true;
                }
                match io.out_hs(o, j) {
                    Some(h) => self.ready[o] = h == c,
                    None => return progress,
                }
            }
            let quiet = !self.fire.iter().any(|&f| f) && !self.ready.iter().any(|&r| r);
            let before = quiet.then(|| self.s.clone());
            self.s.step(&self.fire, &self.ready);
            if before.as_ref() == Some(&self.s) && (0..self.taken.len()).all(|i| self.s.stepped(i))
            {
                // A fixed point: nothing changes until the next known handshake.
                let mut next = u64::MAX;
                for i in 0..self.taken.len() {
                    let k = self.taken[i];
                    if k < io.in_beats(i) && self.s.stepped(i) && io.ready_posted(i) > k {
                        next = next.min(io.in_hs(i, k).unwrap_or(u64::MAX));
                    }
                }
                for o in 0..self.sent.len() {
                    let j = self.sent[o];
                    if j < io.out_beats(o) && io.valid_posted(o) > j {
                        next = next.min(io.out_hs(o, j).unwrap_or(u64::MAX));
                    }
                }
                if next == u64::MAX {
                    self.cycle = c + 1;
                    return progress;
                }
                self.cycle = next.max(c + 1);
                progress = true;
                continue;
            }
            for i in 0..self.taken.len() {
                self.taken[i] += usize::from(self.fire[i]);
            }
            for o in 0..self.sent.len() {
                self.sent[o] += usize::from(self.ready[o]);
            }
            self.cycle = c + 1;
            progress = true;
        }
    }
    fn run_ahead(&mut self, io: &mut Io<'_>) -> bool {
        self.ahead(io)
    }
}

impl<S: Stepped> Stepper<S> {
    /// When the whole net is stuck and input beats are not known: steps a copy assuming they have not come, posting
    /// the output valids that cannot depend on them ([`Stepped::safe_outputs`]).
    fn ahead(&mut self, io: &mut Io<'_>) -> bool {
        let known: usize = (0..self.sent.len())
            .map(|o| {
                (self.sent[o]..io.valid_posted(o))
                    .filter(|&j| io.out_hs(o, j).is_some())
                    .count()
            })
            .sum();
        let key = (self.cycle, known);
        if self.spec_key == Some(key)
            || (0..self.sent.len()).all(|o| self.s.safe_outputs(&self.taken, o) <= self.sent[o])
        {
            return false;
        }
        self.spec_key = Some(key);
        let mut s = self.s.clone();
        let mut taken = self.taken.clone();
        let mut sent = self.sent.clone();
        let (mut fire, mut ready) = (self.fire.clone(), self.ready.clone());
        let mut c = self.cycle;
        let mut posted = false;
        loop {
            if (0..sent.len()).all(|o| sent[o] >= s.safe_outputs(&taken, o).min(io.out_beats(o))) {
                return posted;
            }
            for i in 0..taken.len() {
                let k = taken[i];
                fire[i] = k < io.in_beats(i)
                    && s.stepped(i)
                    && s.in_ready(i)
                    && io.ready_posted(i) > k
                    && io.in_hs(i, k) == Some(c);
            }
            for o in 0..sent.len() {
                let j = sent[o];
                ready[o] = false;
                if j >= io.out_beats(o) || !s.out_valid(o) {
                    continue;
                }
                if io.valid_posted(o) == j {
                    if j >= s.safe_outputs(&taken, o) {
                        return posted;
                    }
                    io.post_valid(o, c);
                    posted = true;
                }
                match io.out_hs(o, j) {
                    Some(h) => ready[o] = h == c,
                    None => return posted,
                }
            }
            s.step(&fire, &ready);
            for i in 0..taken.len() {
                taken[i] += usize::from(fire[i]);
            }
            for o in 0..sent.len() {
                sent[o] += usize::from(ready[o]);
            }
            c += 1;
        }
    }
}

/// The control of an `mh_fifo` with `depth` memory entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FifoCtl {
    depth: usize,
    count: usize,
    pub in_ready: bool,
    pub out_valid: bool,
}

impl FifoCtl {
    pub fn new(depth: usize) -> FifoCtl {
        FifoCtl {
            depth,
            count: 0,
            in_ready: true,
            out_valid: false,
        }
    }
    /// Whether the FIFO holds no beat.
    pub fn empty(&self) -> bool {
        self.count == 0 && !self.out_valid
    }
    /// One edge with the given `data_in_valid` and `data_out_ready`.
    pub fn step(&mut self, in_valid: bool, out_ready: bool) {
        let push = in_valid && self.in_ready;
        let pop = self.count != 0 && (!self.out_valid || out_ready);
        self.count = self.count + usize::from(push) - usize::from(pop);
        self.in_ready = self.count != self.depth;
        if pop {
            self.out_valid = true;
        } else if out_ready {
            self.out_valid = false;
        }
    }
}
