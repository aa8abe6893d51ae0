//! Cycle model of `mh_matmul`, stepped ([`super::stepped`]): the ping-pong `a` row
//! buffer (a row may issue while it is still arriving), the two B halves (a head
//! issues once its B is complete), the (row, output block, input block) issue counters,
//! the `T = 2 + clog2(K_PARALLELISM)`-register product/tree pipeline, the accumulate
//! and cast registers, the output-FIFO credit counter and the output `mh_fifo`.

use std::collections::VecDeque;

use super::stepped::{FifoCtl, Stepped};

pub struct Matmul {
    kb: usize,
    jb: usize,
    m_size: usize,
    b_beats: usize,
    row_full: [bool; 2],
    awr_bank: usize,
    awr_cnt: usize,
    ard_bank: usize,
    b_full: [bool; 2],
    bwr_bank: usize,
    brd_bank: usize,
    bcnt: usize,
    k: usize,
    j: usize,
    m: usize,
    /// (valid, last block of its output beat) per pipeline register, stage 1 first.
    pipe: VecDeque<(bool, bool)>,
    acc_done: bool,
    out_valid_q: bool,
    credit: usize,
    fifo: FifoCtl,
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
            row_full: [false; 2],
            awr_bank: 0,
            awr_cnt: 0,
            ard_bank: 0,
            b_full: [false; 2],
            bwr_bank: 0,
            brd_bank: 0,
            bcnt: 0,
            k: 0,
            j: 0,
            m: 0,
            pipe: VecDeque::from(vec![(false, false); t]),
            acc_done: false,
            out_valid_q: false,
            credit: depth,
            fifo: FifoCtl::new(depth),
        }
    }
}

impl Stepped for Matmul {
    fn in_ready(&self, i: usize) -> bool {
        if i == 0 {
            !self.row_full[self.awr_bank]
        } else {
            !self.b_full[self.bwr_bank]
        }
    }
    fn out_valid(&self, _: usize) -> bool {
        self.fifo.out_valid
    }
    fn idle(&self) -> bool {
        !self.pipe.iter().any(|p| p.0)
            && !self.acc_done
            && !self.out_valid_q
            && self.fifo.empty()
            && !self.issue()
    }
    fn step(&mut self, fire: &[bool], ready: &[bool]) {
        let (awr, bwr) = (fire[0], fire[1]);
        let out_hs = self.fifo.out_valid && ready[0];
        let k_last = self.k == self.kb - 1;
        let row_last = k_last && self.j == self.jb - 1;
        let head_last = row_last && self.m == self.m_size - 1;
        let issue = self.issue();
        // Row buffer.
        let awr_last = self.awr_cnt == self.kb - 1;
        if awr && awr_last {
            self.row_full[self.awr_bank] = true;
        }
        if issue && row_last {
            self.row_full[self.ard_bank] = false;
            self.ard_bank ^= 1;
        }
        if awr {
            self.awr_cnt = if awr_last { 0 } else { self.awr_cnt + 1 };
            if awr_last {
                self.awr_bank ^= 1;
            }
        }
        // B halves.
        let bwr_last = self.bcnt == self.b_beats - 1;
        if bwr && bwr_last {
            self.b_full[self.bwr_bank] = true;
            self.bwr_bank ^= 1;
        }
        if issue && head_last {
            self.b_full[self.brd_bank] = false;
            self.brd_bank ^= 1;
        }
        if bwr {
            self.bcnt = if bwr_last { 0 } else { self.bcnt + 1 };
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
        let row_avail = self.row_full[self.ard_bank]
            || (self.ard_bank == self.awr_bank && self.k < self.awr_cnt);
        let k_last = self.k == self.kb - 1;
        row_avail && self.b_full[self.brd_bank] && (!k_last || self.credit != 0)
    }
}
