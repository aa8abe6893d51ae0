//! A cut between two devices as one cycle-stepped node: `K` streams over one link —
//! per stream an `mh_link_tx` and an `mh_link_rx` (its own credits), for `K > 1` an
//! `mh_link_mux` (round-robin, grant held while a word waits) and an `mh_link_demux`,
//! the forward and reverse `mh_link_model`s, and the credit words coming back through
//! a second mux and demux. The state mirrors every control register of those modules
//! (credit counters, pack/split counters, the receive FIFO's count, ready and output
//! register, the credit-return register, the arbiters, the link models' bit budgets and
//! delay lines), never the data, and advances one clock at a time through
//! [`super::stepped::Stepper`]. With `K = 1` it is a plain `mh_link` (the mux and demux
//! of one channel are wires). The `link` and `link_vc` components and every cut of a
//! split system (`super::system::multi_net`) use it.
//!
//! Not a closed form: a link costs a step per cycle while it holds anything, which is
//! small next to the devices' beat-level models for the designs split here.

use std::collections::VecDeque;

use super::stepped::Stepped;

/// One stream of a cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    /// Beat width, bits.
    pub beat_bits: usize,
    /// Word width of this stream's link ends (the link word less the channel tag).
    pub word_bits: usize,
    pub item_beats: usize,
    /// Receive buffer, words (the sender's credits).
    pub credits: u64,
}

/// The shared link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire {
    pub word_width: u64,
    pub latency: usize,
    pub bits_per_cycle: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Tx {
    credits: u64,
    out_valid: bool,
    slot: usize,
    beat: usize,
    /// Pack: assembly register full; split: a beat held.
    full: bool,
    part: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rx {
    count: u64,
    in_ready: bool,
    fifo_valid: bool,
    slot: usize,
    beat: usize,
    part: usize,
    out_valid: bool,
    pending: u64,
    credit: u64,
    credit_valid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Arbiter {
    next: usize,
    hold: usize,
    held: bool,
}

impl Arbiter {
    /// (valid, grant) for the channels offering `valid`.
    fn grant(&self, valid: &[bool]) -> (bool, usize) {
        if self.held {
            return (true, self.hold);
        }
        let k = valid.len();
        for j in 0..k {
            let c = (self.next + j) % k;
            if valid[c] {
                return (true, c);
            }
        }
        (false, self.next)
    }
    fn step(&mut self, valid: bool, grant: usize, taken: bool, k: usize) {
        if taken {
            self.next = (grant + 1) % k;
            self.held = false;
        } else if valid {
            self.hold = grant;
            self.held = true;
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Model {
    budget: u64,
    /// Delay line, newest first: (channel, credit count) of a word, or nothing.
    line: VecDeque<Option<(usize, u64)>>,
}

impl Model {
    fn new(w: &Wire) -> Model {
        Model {
            budget: w.word_width,
            line: std::iter::repeat_n(None, w.latency.max(1)).collect(),
        }
    }
    fn ready(&self, w: &Wire) -> bool {
        self.budget >= w.word_width
    }
    fn arriving(&self) -> Option<(usize, u64)> {
        self.line.back().copied().flatten()
    }
    fn step(&mut self, w: &Wire, word: Option<(usize, u64)>) {
        let ready = self.ready(w);
        if word.is_some() {
            self.budget = self.budget - w.word_width + w.bits_per_cycle;
        } else if !ready {
            self.budget += w.bits_per_cycle;
        }
        self.line.pop_back();
        self.line.push_front(word);
    }
    fn empty(&self) -> bool {
        self.line.iter().all(Option::is_none)
    }
}

/// The control state of a cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkVc {
    ch: Vec<Channel>,
    /// (PACK, SPLIT) per channel.
    shape: Vec<(usize, usize)>,
    wire: Wire,
    tx: Vec<Tx>,
    rx: Vec<Rx>,
    mux: Arbiter,
    credit_mux: Arbiter,
    fwd: Model,
    rev: Model,
}

/// What the combinational logic gives from the state this cycle.
struct Comb {
    /// Per channel: the tx output register moves a word on (send) and the tx's input ready.
    send: Vec<bool>,
    in_ready: Vec<bool>,
    /// The mux output handshakes on the forward link, and its grant.
    fwd_taken: bool,
    fwd_grant: usize,
    fwd_valid: bool,
    /// Per channel: the mux takes the tx's word.
    tx_taken: Vec<bool>,
}

impl LinkVc {
    pub fn new(ch: Vec<Channel>, wire: Wire) -> LinkVc {
        let shape = ch
            .iter()
            .map(|c| golden::link::pack_split(c.beat_bits, c.word_bits))
            .collect();
        let tx = ch
            .iter()
            .map(|c| Tx {
                credits: c.credits,
                out_valid: false,
                slot: 0,
                beat: 0,
                full: false,
                part: 0,
            })
            .collect();
        let rx = ch
            .iter()
            .map(|_| Rx {
                count: 0,
                in_ready: true,
                fifo_valid: false,
                slot: 0,
                beat: 0,
                part: 0,
                out_valid: false,
                pending: 0,
                credit: 0,
                credit_valid: false,
            })
            .collect();
        let arb = Arbiter {
            next: 0,
            hold: 0,
            held: false,
        };
        LinkVc {
            shape,
            tx,
            rx,
            mux: arb.clone(),
            credit_mux: arb,
            fwd: Model::new(&wire),
            rev: Model::new(&wire),
            ch,
            wire,
        }
    }

    fn comb(&self) -> Comb {
        let k = self.ch.len();
        let valid: Vec<bool> = self.tx.iter().map(|t| t.out_valid).collect();
        let (fwd_valid, fwd_grant) = self.mux.grant(&valid);
        let model_ready = self.fwd.ready(&self.wire);
        let fwd_taken = fwd_valid && model_ready;
        let mut send = vec![false; k];
        let mut in_ready = vec![false; k];
        let mut tx_taken = vec![false; k];
        for c in 0..k {
            let t = &self.tx[c];
            let ready = model_ready && fwd_valid && fwd_grant == c;
            tx_taken[c] = ready && t.out_valid;
            let out_free = !t.out_valid || ready;
            let (_, split) = self.shape[c];
            send[c] = t.full && out_free && t.credits != 0;
            in_ready[c] = if split == 1 {
                !t.full || send[c]
            } else {
                !t.full || (send[c] && t.part == split - 1)
            };
        }
        Comb {
            send,
            in_ready,
            fwd_taken,
            fwd_grant,
            fwd_valid,
            tx_taken,
        }
    }
}

impl Stepped for LinkVc {
    fn in_ready(&self, i: usize) -> bool {
        self.comb().in_ready[i]
    }
    fn out_valid(&self, o: usize) -> bool {
        if self.shape[o].1 == 1 {
            self.rx[o].fifo_valid
        } else {
            self.rx[o].out_valid
        }
    }
    fn idle(&self) -> bool {
        self.tx
            .iter()
            .zip(&self.ch)
            .all(|(t, c)| !t.out_valid && !t.full && t.credits == c.credits)
            && self.rx.iter().all(|r| {
                r.count == 0 && !r.fifo_valid && !r.out_valid && r.pending == 0 && !r.credit_valid
            })
            && !self.mux.held
            && !self.credit_mux.held
            && self.fwd.empty()
            && self.rev.empty()
            && self.fwd.ready(&self.wire)
            && self.rev.ready(&self.wire)
    }
    // The per-channel state, parameters and handshakes are parallel arrays.
    #[allow(clippy::needless_range_loop)]
    fn step(&mut self, fire: &[bool], ready: &[bool]) {
        let k = self.ch.len();
        let c = self.comb();
        // Reverse direction: credit words from the receivers, arriving credits.
        let cvalid: Vec<bool> = self.rx.iter().map(|r| r.credit_valid).collect();
        let (rev_valid, rev_grant) = self.credit_mux.grant(&cvalid);
        let rev_ready = self.rev.ready(&self.wire);
        let rev_taken = rev_valid && rev_ready;
        let returned = self.rev.arriving();
        let credit_words: Vec<u64> = self.rx.iter().map(|r| r.credit).collect();
        let arrived = self.fwd.arriving();
        // Receivers.
        for ch in 0..k {
            let (pack, split) = self.shape[ch];
            let item = self.ch[ch].item_beats;
            let depth = self.ch[ch].credits - 1;
            let r = &mut self.rx[ch];
            let push = arrived.is_some_and(|(a, _)| a == ch) && r.in_ready;
            // The word leaving the buffer (popped by the unpacker).
            let pop = if split == 1 {
                let give = r.fifo_valid && ready[ch];
                let pop = give && (r.slot == pack - 1 || r.beat == item - 1);
                if give {
                    r.beat = if r.beat == item - 1 { 0 } else { r.beat + 1 };
                    r.slot = if pop { 0 } else { r.slot + 1 };
                }
                pop
            } else {
                let last = r.part == split - 1;
                let pop = r.fifo_valid && (!last || !r.out_valid || ready[ch]);
                if pop {
                    r.part = if last { 0 } else { r.part + 1 };
                }
                if pop && last {
                    r.out_valid = true;
                } else if ready[ch] {
                    r.out_valid = false;
                }
                pop
            };
            // mh_fifo of DEPTH = credits - 1 under it.
            let fpop = r.count != 0 && (!r.fifo_valid || pop);
            r.count = r.count + u64::from(push) - u64::from(fpop);
            r.in_ready = r.count != depth;
            if fpop {
                r.fifo_valid = true;
            } else if pop {
                r.fifo_valid = false;
            }
            // Credit return register.
            let pending_d = r.pending + u64::from(pop);
            let credit_ready = rev_taken && rev_grant == ch;
            if !r.credit_valid || credit_ready {
                r.credit_valid = pending_d != 0;
                r.pending = 0;
                r.credit = pending_d;
            } else {
                r.pending = pending_d;
            }
        }
        let rev_word = rev_taken.then(|| (rev_grant, credit_words[rev_grant]));
        // Senders.
        for ch in 0..k {
            let (pack, split) = self.shape[ch];
            let item = self.ch[ch].item_beats;
            let t = &mut self.tx[ch];
            let back = returned.filter(|&(a, _)| a == ch).map_or(0, |(_, n)| n);
            let send = c.send[ch];
            t.credits = t.credits + back - u64::from(send);
            if send {
                t.out_valid = true;
            } else if c.tx_taken[ch] {
                t.out_valid = false;
            }
            let take = fire[ch];
            if split == 1 {
                if take {
                    let end = t.slot == pack - 1 || t.beat == item - 1;
                    t.beat = if t.beat == item - 1 { 0 } else { t.beat + 1 };
                    if end {
                        t.slot = 0;
                        t.full = true;
                    } else {
                        t.slot += 1;
                        t.full = false;
                    }
                } else if send {
                    t.full = false;
                }
            } else {
                if send {
                    t.part = if t.part == split - 1 { 0 } else { t.part + 1 };
                }
                if take {
                    t.full = true;
                } else if send && t.part == 0 {
                    // `part` wrapped: the held beat's last word went.
                    t.full = false;
                }
            }
        }
        let fwd_word = c.fwd_taken.then_some((c.fwd_grant, 0));
        self.mux.step(c.fwd_valid, c.fwd_grant, c.fwd_taken, k);
        self.credit_mux.step(rev_valid, rev_grant, rev_taken, k);
        self.fwd.step(&self.wire, fwd_word);
        self.rev.step(&self.wire, rev_word);
    }
}
