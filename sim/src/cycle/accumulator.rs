//! Cycle model of `mh_accumulator`: beats that do not end a group of `DEPTH` are taken
//! whenever offered; the last beat of group `g` needs the output register free or being
//! emptied (from the handshake of output `g-1` on), and output `g` is offered the cycle
//! after it.

use super::{CycleModel, Io, Ready};

pub struct Accumulator {
    depth: usize,
}

impl Accumulator {
    pub fn new(depth: usize) -> Accumulator {
        Accumulator {
            depth: depth.max(1),
        }
    }
}

impl CycleModel for Accumulator {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let g = k / self.depth;
            let from = if k % self.depth != self.depth - 1 || g == 0 {
                Some(0)
            } else {
                io.out_hs(0, g - 1)
            };
            if let Some(from) = from {
                io.post_ready(0, Ready::from(from));
                return true;
            }
        }
        let g = io.valid_posted(0);
        if g < io.out_beats(0)
            && let Some(a) = io.in_hs(0, (g + 1) * self.depth - 1)
        {
            io.post_valid(0, a + 1);
            return true;
        }
        false
    }
}
