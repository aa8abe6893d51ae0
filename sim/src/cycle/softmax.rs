//! Cycle model of `mh_softmax`, stepped ([`super::stepped`]): the x and max FIFOs of
//! the input stage, the six-register exp pipeline (stalls as a whole when the e FIFO
//! is full), the row-sum register, the `RF + 1`-stage divider, the e and reciprocal
//! FIFOs and the two-register normalise pipeline, with the RTL's depths
//! (`x: NB + 4`, `max: (NB + 4 + NB) / NB + 2`, `e: NB + RF + 6`, `R: (e + NB) / NB + 2`).

use std::collections::VecDeque;

use super::stepped::{FifoCtl, Stepped};

#[derive(Clone, PartialEq, Eq)]
pub struct Softmax {
    nb: usize,
    last: usize,
    cnt1: usize,
    x: FifoCtl,
    m: FifoCtl,
    cnt2: usize,
    v2: [bool; 6],
    last2: [bool; 6],
    s_valid: bool,
    recip: VecDeque<bool>,
    e: FifoCtl,
    r: FifoCtl,
    cnt3: usize,
    va: bool,
    vb: bool,
}

impl Softmax {
    /// `nb`: beats per row; `rf`: `RECIP_FRAC_WIDTH`.
    pub fn new(nb: usize, rf: usize) -> Softmax {
        let nb = nb.max(1);
        let dx = nb + 4;
        let de = nb + rf + 6;
        Softmax {
            nb,
            last: nb - 1,
            cnt1: 0,
            x: FifoCtl::new(dx),
            m: FifoCtl::new((dx + nb) / nb + 2),
            cnt2: 0,
            v2: [false; 6],
            last2: [false; 6],
            s_valid: false,
            recip: VecDeque::from(vec![false; rf + 1]),
            e: FifoCtl::new(de),
            r: FifoCtl::new((de + nb) / nb + 2),
            cnt3: 0,
            va: false,
            vb: false,
        }
    }
}

fn bump(c: &mut usize, last: usize) {
    *c = if *c == last { 0 } else { *c + 1 };
}

impl Stepped for Softmax {
    fn in_ready(&self, _: usize) -> bool {
        self.x.in_ready && self.m.in_ready
    }
    fn out_valid(&self, _: usize) -> bool {
        self.vb
    }
    fn idle(&self) -> bool {
        self.x.empty()
            && self.m.empty()
            && self.e.empty()
            && self.r.empty()
            && !self.v2.iter().any(|&v| v)
            && !self.s_valid
            && !self.recip.iter().any(|&v| v)
            && !self.va
            && !self.vb
    }
    fn safe_outputs(&self, taken: &[usize], _: usize) -> usize {
        taken[0] / self.nb * self.nb
    }
    fn step(&mut self, fire: &[bool], ready: &[bool]) {
        let fire1 = fire[0];
        let out_ready = ready[0];
        // Stage 2 combinational.
        let en2 = !self.v2[5] || self.e.in_ready;
        let fire2 = en2 && self.x.out_valid && self.m.out_valid;
        let x_out_ready = en2 && self.m.out_valid;
        let m_out_ready = en2 && self.x.out_valid && self.cnt2 == self.last;
        let push_e = self.v2[5] && self.e.in_ready;
        let e_in_valid = self.v2[5];
        // Stage 3 combinational.
        let en3 = !self.vb || out_ready;
        let fire3 = en3 && self.e.out_valid && self.r.out_valid;
        let e_out_ready = en3 && self.r.out_valid;
        let r_out_ready = en3 && self.e.out_valid && self.cnt3 == self.last;
        let r_valid = *self.recip.back().unwrap_or(&self.s_valid);
        // Edge.
        let m_push = fire1 && self.cnt1 == self.last;
        self.x.step(fire1, x_out_ready);
        self.m.step(m_push, m_out_ready);
        if fire1 {
            bump(&mut self.cnt1, self.last);
        }
        let cnt2_last = self.cnt2 == self.last;
        if fire2 {
            bump(&mut self.cnt2, self.last);
        }
        let s_next = push_e && self.last2[5];
        if en2 {
            self.v2.rotate_right(1);
            self.v2[0] = fire2;
            self.last2.rotate_right(1);
            self.last2[0] = cnt2_last;
        }
        self.recip.pop_back();
        self.recip.push_front(self.s_valid);
        self.s_valid = s_next;
        self.e.step(e_in_valid, e_out_ready);
        self.r.step(r_valid, r_out_ready);
        if fire3 {
            bump(&mut self.cnt3, self.last);
        }
        if en3 {
            self.vb = self.va;
            self.va = fire3;
        }
    }
}
