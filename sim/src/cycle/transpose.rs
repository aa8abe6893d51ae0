//! Cycle model of `mh_transpose`: two banks of `T` beats (one tensor each), written in
//! arrival order and read transposed. Input beat `k` of tensor `g` is ready while its
//! bank is not full: from the start for the first two tensors, else from the cycle
//! after tensor `g-2`'s last beat was read out. Output beat `j` of tensor `h` is read
//! into the output register once tensor `h` is completely written (the cycle after
//! its last write) and the register is free or being emptied, and offered a cycle later.

use super::{CycleModel, Io, Ready};

pub struct Transpose {
    beats: usize,
    pops: Vec<u64>,
}

impl Transpose {
    /// `beats`: beats per tensor (`A·B·C / PARALLELISM`).
    pub fn new(beats: usize) -> Transpose {
        Transpose {
            beats: beats.max(1),
            pops: Vec::new(),
        }
    }
}

impl CycleModel for Transpose {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let t = self.beats;
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let g = k / t;
            let from = if g < 2 {
                Some(0)
            } else {
                self.pops.get((g - 1) * t - 1).map(|p| p + 1)
            };
            if let Some(from) = from {
                io.post_ready(0, Ready::from(from));
                return true;
            }
        }
        let j = self.pops.len();
        if j < io.out_beats(0)
            && let Some(w) = io.in_hs(0, (j / t + 1) * t - 1)
        {
            let prev = if j == 0 { Some(0) } else { io.out_hs(0, j - 1) };
            if let Some(prev) = prev {
                let p = (w + 1).max(prev);
                self.pops.push(p);
                io.post_valid(0, p + 1);
                return true;
            }
        }
        false
    }
}
