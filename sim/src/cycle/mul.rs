//! Cycle model of `mh_mul` and the segmented `mh_gelu`: a two-stage pipeline (product register, output register)
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
            let n = io.ins.len();
            let valid = (0..n).try_fold(0u64, |m, i| io.in_valid(i, k).map(|v| m.max(v)));
            if let (Some(r), Some(valid)) = (r, valid) {
                // Every input moves in the same cycle, the first in the window after
                // the last of them became valid.
                let take = r.handshake(valid);
                for i in 0..n {
                    io.post_ready(i, Ready::from(take));
                }
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
