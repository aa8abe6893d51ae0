//! Cycle model of `mh_layernorm`, stepped ([`super::stepped`]): the circular row
//! buffer of `ROWS · KB` words (input ready while it is not full), the statistics
//! pipeline (input register, accumulator, `LS = 4 + 3·NR_ITERS` registers) into the
//! stats FIFO, issue of a row's beats once its stats are there (and, with streamed
//! affine parameters, the beat's gamma and beta heads of their two-entry `mh_fifo`s),
//! and the six-register output pipeline that stalls as a whole on `data_out`.

use std::collections::VecDeque;

use super::stepped::{FifoCtl, Stepped};

#[derive(Clone, PartialEq, Eq)]
pub struct Layernorm {
    kb: usize,
    depth: usize,
    count: usize,
    wr_cnt: usize,
    rd_cnt: usize,
    in_v: bool,
    in_last: bool,
    s1_v: bool,
    sv: VecDeque<bool>,
    st_count: usize,
    v: [bool; 6],
    affine: Option<(FifoCtl, FifoCtl)>,
}

impl Layernorm {
    /// `kb`: beats per row; `streams`: gamma and beta arrive on streams.
    pub fn new(kb: usize, nr_iters: usize, streams: bool) -> Layernorm {
        let kb = kb.max(1);
        let ls = 4 + 3 * nr_iters;
        let gap = ls + 3;
        let rows = (1 + (gap + 2).div_ceil(kb)).max(2);
        Layernorm {
            kb,
            depth: rows * kb,
            count: 0,
            wr_cnt: 0,
            rd_cnt: 0,
            in_v: false,
            in_last: false,
            s1_v: false,
            sv: VecDeque::from(vec![false; ls]),
            st_count: 0,
            v: [false; 6],
            affine: streams.then(|| (FifoCtl::new(2), FifoCtl::new(2))),
        }
    }

    fn issue(&self, out_ready: bool) -> bool {
        let en = !self.v[5] || out_ready;
        let affine_ok = self
            .affine
            .as_ref()
            .is_none_or(|(g, b)| g.out_valid && b.out_valid);
        en && self.st_count != 0 && affine_ok
    }
}

impl Stepped for Layernorm {
    fn in_ready(&self, i: usize) -> bool {
        match (i, &self.affine) {
            (0, _) => self.count < self.depth,
            (1, Some((g, _))) => g.in_ready,
            (2, Some((_, b))) => b.in_ready,
            _ => false,
        }
    }
    fn out_valid(&self, _: usize) -> bool {
        self.v[5]
    }
    fn idle(&self) -> bool {
        self.count == 0
            && !self.in_v
            && !self.s1_v
            && !self.sv.iter().any(|&v| v)
            && self.st_count == 0
            && !self.v.iter().any(|&v| v)
            && self
                .affine
                .as_ref()
                .is_none_or(|(g, b)| g.empty() && b.empty())
    }
    fn safe_outputs(&self, taken: &[usize], _: usize) -> usize {
        let rows = taken[0] / self.kb * self.kb;
        match self.affine {
            Some(_) => rows.min(taken[1]).min(taken[2]),
            None => rows,
        }
    }
    fn step(&mut self, fire: &[bool], ready: &[bool]) {
        let wr = fire[0];
        let out_ready = ready[0];
        let en = !self.v[5] || out_ready;
        let issue = self.issue(out_ready);
        let rd_last = self.rd_cnt == self.kb - 1;
        let st_push = *self.sv.back().unwrap_or(&self.s1_v);
        if let Some((g, b)) = &mut self.affine {
            g.step(fire[1], issue);
            b.step(fire[2], issue);
        }
        let in_last_next = self.wr_cnt == self.kb - 1;
        if wr {
            self.wr_cnt = if self.wr_cnt == self.kb - 1 {
                0
            } else {
                self.wr_cnt + 1
            };
        }
        self.count = self.count + usize::from(wr) - usize::from(issue);
        self.sv.pop_back();
        self.sv.push_front(self.s1_v);
        self.s1_v = self.in_v && self.in_last;
        self.in_v = wr;
        self.in_last = in_last_next;
        self.st_count = self.st_count + usize::from(st_push) - usize::from(issue && rd_last);
        if issue {
            self.rd_cnt = if rd_last { 0 } else { self.rd_cnt + 1 };
        }
        if en {
            self.v.rotate_right(1);
            self.v[0] = issue;
        }
    }
}
