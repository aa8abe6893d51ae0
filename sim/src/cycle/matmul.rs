//! Cycle model of `mh_matmul`. Work is one block (`K_PARALLELISM` products per output
//! lane) per cycle in the order (head, row, output block j, input block k); block `n`
//! issues at `I_n`, the first cycle after `I_{n-1}` at which
//! - its `a` beat is stored (the cycle after that beat's handshake: the ping-pong row
//!   buffer lets a row issue while it is still arriving),
//! - its head's B is complete (the cycle after the handshake of the head's last `b` beat),
//! - for the last block of output beat `m`: a credit is free, i.e. output beat `m - D`
//!   has left (`D` = the output FIFO's memory entries).
//!
//! Row `r`'s `a` beats are ready once row `r - 2`'s last block issued (its bank is free),
//! head `h`'s `b` beats once head `h - 2`'s last block issued. The
//! `T = 2 + clog2(K_PARALLELISM)`-register pipeline never stalls: output beat `m` enters
//! the output FIFO `T + 2` cycles after its last block issued, then the FIFO model applies.

use super::blocks::Blocks;
use super::{CycleModel, Io, Ready};

pub struct Matmul {
    kb: usize,
    jb: usize,
    /// Output beats per head.
    beats_per_head: usize,
    b_beats: usize,
    t: u64,
    depth: usize,
    blocks: Blocks,
    out_pops: Vec<u64>,
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
            (usize::BITS - (pk - 1).leading_zeros()) as u64
        } else {
            0
        };
        let t = 2 + levels;
        let credit_loop = t as usize + 2 + 2 + 1;
        let banks = if transpose_b { pn } else { pk };
        Matmul {
            kb,
            jb,
            beats_per_head: jb * m_size.max(1),
            b_beats: kb * jb * banks,
            t,
            depth: credit_loop.div_ceil(kb).max(2),
            blocks: Blocks::new(kb),
            out_pops: Vec::new(),
        }
    }

    /// Earliest issue cycle of block `k` of output beat `m`.
    fn can_issue(&mut self, io: &Io<'_>, m: usize, k: usize) -> Option<u64> {
        let r = m / self.jb;
        let h = m / self.beats_per_head;
        let mut c = self.blocks.after_prev();
        c = c.max(io.in_hs(0, r * self.kb + k)? + 1);
        c = c.max(io.in_hs(1, (h + 1) * self.b_beats - 1)? + 1);
        if k == self.kb - 1 && m >= self.depth {
            let credit = io.out_hs(0, m - self.depth)? + 1;
            self.blocks.hold(credit.saturating_sub(c));
            c = c.max(credit);
        }
        Some(c)
    }
}

impl CycleModel for Matmul {
    fn activity(&self) -> Option<super::Activity> {
        Some(self.blocks.activity())
    }
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let mut progress = false;
        loop {
            let k = io.ready_posted(0);
            if k >= io.in_beats(0) {
                break;
            }
            let r = k / self.kb;
            let from = if r < 2 {
                0
            } else {
                match self.blocks.last.get((r - 1) * self.jb - 1) {
                    Some(c) => c + 1,
                    None => break,
                }
            };
            io.post_ready(0, Ready::from(from));
            progress = true;
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
                match self.blocks.last.get((h - 1) * self.beats_per_head - 1) {
                    Some(c) => c + 1,
                    None => break,
                }
            };
            io.post_ready(1, Ready::from(from));
            progress = true;
        }
        let total = io.in_beats(0) / self.kb * self.jb;
        loop {
            let (m, _) = self.blocks.next();
            if m >= total {
                break;
            }
            // Later output blocks of a row read stored `a` beats and the same head's B.
            if m % self.jb != 0 {
                self.blocks.skip_middle();
            }
            let (m, k) = self.blocks.next();
            let Some(c) = self.can_issue(io, m, k) else {
                break;
            };
            self.blocks.issue(c);
            progress = true;
        }
        let posted =
            super::credit_fifo::post_pops(&self.blocks.last, self.t, &mut self.out_pops, io);
        progress || posted
    }
}
