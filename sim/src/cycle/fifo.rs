//! Cycle model of `mh_fifo`: `DEPTH` memory entries behind a registered input ready,
//! plus an output register. Beat `k` is popped into the output register at
//! `p_k = max(a_k + 1, e_{k-1})` (the cycle after it was written, or the cycle the
//! previous beat leaves the register) and offered at `p_k + 1`; the input is ready
//! while fewer than `DEPTH` beats are in memory, so beat `k` may be written from the
//! cycle after beat `k - DEPTH` was popped.

use super::{CycleModel, Io, Ready};

pub struct Fifo {
    depth: usize,
    /// Pop cycle of every beat so far.
    pops: Vec<u64>,
}

impl Fifo {
    pub fn new(depth: usize) -> Fifo {
        Fifo {
            depth,
            pops: Vec::new(),
        }
    }
}

impl CycleModel for Fifo {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let from = if k < self.depth {
                Some(0)
            } else {
                self.pops.get(k - self.depth).map(|p| p + 1)
            };
            if let Some(from) = from {
                io.post_ready(0, Ready::from(from));
                return true;
            }
        }
        let j = self.pops.len();
        if j < io.out_beats(0)
            && let Some(a) = io.in_hs(0, j)
        {
            let prev = if j == 0 { Some(0) } else { io.out_hs(0, j - 1) };
            if let Some(prev) = prev {
                let p = (a + 1).max(prev);
                self.pops.push(p);
                io.post_valid(0, p + 1);
                return true;
            }
        }
        false
    }
}
