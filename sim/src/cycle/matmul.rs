//! Cycle model of `mh_matmul`, stepped ([`super::stepped`]): the ping-pong `a` row
//! buffer (block `k` of a row may issue the cycle after its beat's handshake; row `r`'s
//! beats are ready once row `r - 2`'s last block issued), the two B halves (a head
//! issues once its B is complete), the (row, output block, input block) issue counters,
//! the `T = 2 + clog2(K_PARALLELISM)`-register product/tree pipeline, the accumulate
//! and cast registers, the output-FIFO credit counter and the output `mh_fifo`.
//! Neither input is stepped: head `h`'s half is full from the cycle after the handshake of
//! its last beat and free from the cycle after head `h`'s last block issued, so its
//! beats are ready once head `h - 2` is done, and issue needs the last beat's cycle
//! only when a row waits for B (a head's B may be waiting on outputs of this one).

use std::collections::VecDeque;

use super::stepped::{FifoCtl, Stepped};
use super::{Io, Ready};

pub struct Matmul {
    kb: usize,
    jb: usize,
    m_size: usize,
    b_beats: usize,
    /// Cycle each row's last block issued.
    row_done: Vec<u64>,
    /// The block to issue is in the row buffer this cycle (from `prepare`).
    row_avail: bool,
    /// Every row of the run was issued.
    rows_over: bool,
    /// Cycle each head's last block issued.
    head_done: Vec<u64>,
    /// B of the head being read is complete this cycle (from `prepare`).
    b_avail: bool,
    k: usize,
    j: usize,
    m: usize,
    /// (valid, last block of its output beat) per pipeline register, stage 1 first.
    pipe: VecDeque<(bool, bool)>,
    acc_done: bool,
    out_valid_q: bool,
    credit: usize,
    fifo: FifoCtl,
    cycle_now: u64,
}

impl Matmul {
    pub fn new(
        m_size: usize,
        k_size: usize,
        n_size: usize,
        pk: usize,
        pn: usize,
        transpose_b: bool,
    ) -> Matmul {
        let (pk, pn) = (pk.max(1), pn.max(1));
        let kb = (k_size / pk).max(1);
        let jb = (n_size / pn).max(1);
        let levels = if pk > 1 {
            (usize::BITS - (pk - 1).leading_zeros()) as usize
        } else {
            0
        };
        let t = 2 + levels;
        let credit_loop = t + 2 + 2 + 1;
        let depth = credit_loop.div_ceil(kb).max(2);
        let banks = if transpose_b { pn } else { pk };
        Matmul {
            kb,
            jb,
            m_size: m_size.max(1),
            b_beats: kb * jb * banks,
            row_done: Vec::new(),
            row_avail: false,
            rows_over: false,
            head_done: Vec::new(),
            b_avail: false,
            k: 0,
            j: 0,
            m: 0,
            pipe: VecDeque::from(vec![(false, false); t]),
            acc_done: false,
            out_valid_q: false,
            credit: depth,
            fifo: FifoCtl::new(depth),
            cycle_now: 0,
        }
    }
}

impl Stepped for Matmul {
    fn in_ready(&self, i: usize) -> bool {
        let _ = i;
        false
    }
    fn out_valid(&self, _: usize) -> bool {
        self.fifo.out_valid
    }
    fn idle(&self) -> bool {
        !self.pipe.iter().any(|p| p.0)
            && !self.acc_done
            && !self.out_valid_q
            && self.fifo.empty()
            && self.rows_over
    }
    fn stepped(&self, _: usize) -> bool {
        false
    }
    fn prepare(&mut self, io: &mut Io<'_>, cycle: u64) -> Option<bool> {
        self.cycle_now = cycle;
        let mut posted = false;
        loop {
            let k = io.ready_posted(0);
            if k >= io.in_beats(0) {
                break;
            }
            let r = k / self.kb;
            let from = if r < 2 {
                0
            } else {
                match self.row_done.get(r - 2) {
                    Some(c) => c + 1,
                    None => break,
                }
            };
            io.post_ready(0, Ready::from(from));
            posted = true;
        }
        loop {
            let k = io.ready_posted(1);
            if k >= io.in_beats(1) {
                break;
            }
            let h = k / self.b_beats;
            let from = if h < 2 {
                0
            } else {
                match self.head_done.get(h - 2) {
                    Some(c) => c + 1,
                    None => break,
                }
            };
            io.post_ready(1, Ready::from(from));
            posted = true;
        }
        // Some(None): not known yet.
        let known = |io: &Io<'_>, i: usize, beat: usize| -> Option<Option<bool>> {
            if beat >= io.in_beats(i) {
                Some(Some(false))
            } else {
                Some(io.in_hs(i, beat).map(|c| c < cycle))
            }
        };
        let row_beat = self.row_done.len() * self.kb + self.k;
        self.rows_over = row_beat >= io.in_beats(0);
        let row = known(io, 0, row_beat)?;
        let b = known(io, 1, (self.head_done.len() + 1) * self.b_beats - 1)?;
        let k_last = self.k == self.kb - 1;
        let credit = !k_last || self.credit != 0;
        if credit && row != Some(false) && b != Some(false) && (row.is_none() || b.is_none()) {
            return None;
        }
        self.row_avail = row == Some(true);
        self.b_avail = b == Some(true);
        Some(posted)
    }
    fn step(&mut self, fire: &[bool], ready: &[bool]) {
        let _ = fire;
        let out_hs = self.fifo.out_valid && ready[0];
        let k_last = self.k == self.kb - 1;
        let row_last = k_last && self.j == self.jb - 1;
        let head_last = row_last && self.m == self.m_size - 1;
        let issue = self.issue();
        if issue && row_last {
            self.row_done.push(self.cycle_now);
        }
        if issue && head_last {
            self.head_done.push(self.cycle_now);
        }
        // Issue counters.
        if issue {
            self.k = if k_last { 0 } else { self.k + 1 };
            if k_last {
                self.j = if row_last { 0 } else { self.j + 1 };
            }
            if row_last {
                self.m = if head_last { 0 } else { self.m + 1 };
            }
        }
        // Pipeline, accumulators, cast register, credits, FIFO.
        let (vt, lt) = self.pipe.pop_back().unwrap_or((false, false));
        self.pipe.push_front((issue, k_last));
        let push = self.out_valid_q;
        self.out_valid_q = self.acc_done;
        self.acc_done = vt && lt;
        self.credit = self.credit + usize::from(out_hs) - usize::from(issue && k_last);
        self.fifo.step(push, ready[0]);
    }
}

impl Matmul {
    fn issue(&self) -> bool {
        let k_last = self.k == self.kb - 1;
        self.row_avail && self.b_avail && (!k_last || self.credit != 0)
    }
}
