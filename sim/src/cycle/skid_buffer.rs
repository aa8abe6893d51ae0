//! Cycle model of `mh_skid_buffer`: an output register and a skid register. The input
//! is ready while the skid register is empty, that is while fewer than two beats are
//! held: beat `k` may be taken from the cycle after beat `k-2` left. A beat taken while
//! the output register is free (or being emptied) is offered the next cycle; otherwise
//! it waits in the skid register and is offered the cycle after beat `k-1` leaves.

use super::{CycleModel, Io, Ready};

#[derive(Default)]
pub struct SkidBuffer;

impl CycleModel for SkidBuffer {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let from = if k < 2 {
                Some(0)
            } else {
                io.out_hs(0, k - 2).map(|e| e + 1)
            };
            if let Some(from) = from {
                io.post_ready(0, Ready::from(from));
                return true;
            }
        }
        let j = io.valid_posted(0);
        if j < io.out_beats(0)
            && let Some(a) = io.in_hs(0, j)
        {
            let prev = if j == 0 { Some(0) } else { io.out_hs(0, j - 1) };
            if let Some(prev) = prev {
                io.post_valid(0, a.max(prev) + 1);
                return true;
            }
        }
        false
    }
}
