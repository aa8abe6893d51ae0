//! Cycle model of `mh_linear`. Work is one weight block per cycle in the order
//! (row, output block j, input block k); block `n` issues at `I_n`, the first cycle
//! after `I_{n-1}` at which
//! - its input beat is stored (the cycle after that beat's handshake: the ping-pong
//!   row buffer lets a row start as soon as its first beat is in),
//! - for the last block of output beat `m`: a credit is free, i.e. output beat
//!   `m - D` has left (`D` = the output FIFO's memory entries),
//! - for the first block of output beat `m` with a bias stream: bias beat `m` was
//!   pushed before that cycle,
//! - with a weight stream: weight beat `n` is valid (its handshake is the issue).
//!
//! The pipeline never stalls: beat `m`'s last block enters the output FIFO `T + 2`
//! cycles after it issued (`T = 2 + clog2(IN_PARALLELISM)`), then the FIFO model
//! applies. `data_in` beats of row `r` are ready once row `r - 2`'s last block issued
//! (its bank is free); bias beats wait in an `mh_fifo` popped as their beat's first
//! block reaches the accumulator. Issues are kept per output beat (`blocks`).

use super::blocks::Blocks;
use super::{CycleModel, Io, Ready};

pub struct Linear {
    kb: usize,
    jb: usize,
    t: u64,
    out_depth: usize,
    bias_depth: usize,
    /// Input indices of the streams.
    weight: Option<usize>,
    bias: Option<usize>,
    blocks: Blocks,
    /// Pop cycles of the output FIFO and of the bias FIFO.
    out_pops: Vec<u64>,
    bias_pops: Vec<u64>,
}

impl Linear {
    /// `inputs`: the instance's input stream names in order.
    pub fn new(in_size: usize, out_size: usize, pi: usize, po: usize, inputs: &[String]) -> Linear {
        let kb = (in_size / pi.max(1)).max(1);
        let jb = (out_size / po.max(1)).max(1);
        let levels = if pi > 1 {
            (usize::BITS - (pi - 1).leading_zeros()) as u64
        } else {
            0
        };
        let t = 2 + levels;
        let credit_loop = t as usize + 2 + 2 + 1;
        let idx = |n: &str| inputs.iter().position(|s| s == n);
        Linear {
            kb,
            jb,
            t,
            out_depth: credit_loop.div_ceil(kb).max(2),
            bias_depth: ((t as usize + kb) / kb).max(2),
            weight: idx("weight"),
            bias: idx("bias"),
            blocks: Blocks::new(kb),
            out_pops: Vec::new(),
            bias_pops: Vec::new(),
        }
    }

    /// Earliest issue cycle of block `k` of output beat `m` from everything but the
    /// weight stream.
    fn can_issue(&mut self, io: &Io<'_>, m: usize, k: usize) -> Option<u64> {
        let r = m / self.jb;
        let mut c = self.blocks.after_prev();
        c = c.max(io.in_hs(0, r * self.kb + k)? + 1);
        if k == 0
            && let Some(bi) = self.bias
        {
            c = c.max(io.in_hs(bi, m)? + 1);
        }
        if k == self.kb - 1 && m >= self.out_depth {
            let credit = io.out_hs(0, m - self.out_depth)? + 1;
            self.blocks.hold(credit.saturating_sub(c));
            c = c.max(credit);
        }
        Some(c)
    }
}

impl CycleModel for Linear {
    fn activity(&self) -> Option<super::Activity> {
        Some(self.blocks.activity())
    }
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let mut progress = false;
        // data_in: bank of row r free once row r-2's last block issued.
        let i = io.ready_posted(0);
        if i < io.in_beats(0) {
            let r = i / self.kb;
            let from = if r < 2 {
                Some(0)
            } else {
                self.blocks.last.get((r - 1) * self.jb - 1).map(|c| c + 1)
            };
            if let Some(from) = from {
                io.post_ready(0, Ready::from(from));
                progress = true;
            }
        }
        // Bias FIFO: ready while fewer than its depth beats are in memory.
        if let Some(bi) = self.bias {
            let m = io.ready_posted(bi);
            if m < io.in_beats(bi) {
                let from = if m < self.bias_depth {
                    Some(0)
                } else {
                    self.bias_pops.get(m - self.bias_depth).map(|p| p + 1)
                };
                if let Some(from) = from {
                    io.post_ready(bi, Ready::from(from));
                    progress = true;
                }
            }
            let x = self.bias_pops.len();
            if x < io.in_beats(bi)
                && let Some(h) = io.in_hs(bi, x)
            {
                let prev = if x == 0 {
                    Some(0)
                } else {
                    self.blocks.first.get(x - 1).map(|c| c + self.t)
                };
                if let Some(prev) = prev {
                    self.bias_pops.push((h + 1).max(prev));
                    progress = true;
                }
            }
        }
        // Issue.
        let total = io.in_beats(0) / self.kb * self.jb;
        loop {
            let (m, k) = self.blocks.next();
            if m >= total {
                break;
            }
            match self.weight {
                Some(w) => {
                    let n = m * self.kb + k;
                    if io.ready_posted(w) == n {
                        let Some(c) = self.can_issue(io, m, k) else {
                            break;
                        };
                        io.post_ready(w, Ready::from(c));
                        progress = true;
                    }
                    let Some(h) = io.in_hs(w, n) else { break };
                    self.blocks.issue(h);
                }
                None => {
                    if m % self.jb != 0 {
                        self.blocks.skip_middle();
                    }
                    let (m, k) = self.blocks.next();
                    let Some(c) = self.can_issue(io, m, k) else {
                        break;
                    };
                    self.blocks.issue(c);
                }
            }
            progress = true;
        }
        // Output FIFO: beat m pushed T + 2 cycles after its last block issued.
        let posted =
            super::credit_fifo::post_pops(&self.blocks.last, self.t, &mut self.out_pops, io);
        progress || posted
    }
}
