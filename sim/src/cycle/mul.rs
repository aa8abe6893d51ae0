//! Cycle model of `mh_mul`: a two-stage pipeline (product register, output register)
//! under one stall, `advance = !out_valid || out_ready`. Beat `k` moves from the product
//! register to the output at `m_k = max(a_k + 1, e_{k-1})` and is offered at `m_k + 1`.
//! The inputs are ready only when the pipeline advances: after beat `k-1` was taken,
//! at the single cycle `m_{k-1}` (it moves on) and then from `e_{k-1}` on (it leaves),
//! because a held output freezes the product register in between.

use super::{CycleModel, Io, Ready};

#[derive(Default)]
pub struct Mul {
    /// Cycle each beat moved into the output register.
    moves: Vec<u64>,
}

impl CycleModel for Mul {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let r = if k == 0 {
                Some(Ready::from(0))
            } else {
                match (self.moves.get(k - 1), io.out_hs(0, k - 1)) {
                    (Some(&m), Some(e)) => Some(Ready { pulse: m, from: e }),
                    _ => None,
                }
            };
            if let Some(r) = r {
                io.post_ready(0, r);
                io.post_ready(1, r);
                return true;
            }
        }
        let j = self.moves.len();
        if j < io.out_beats(0)
            && let Some(a) = io.in_hs(0, j)
        {
            let prev = if j == 0 { Some(0) } else { io.out_hs(0, j - 1) };
            if let Some(prev) = prev {
                let m = (a + 1).max(prev);
                self.moves.push(m);
                io.post_valid(0, m + 1);
                return true;
            }
        }
        false
    }
}
