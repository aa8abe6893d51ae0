//! Cycle model of a chain of `S` one-register stages whose ready ripples back
//! combinationally (`ready_k = !valid_k || ready_{k+1}`), the first stage taking one
//! beat from every input at once. It is the handshake of `mh_join`, `mh_add` (a, b),
//! `mh_relu`, `mh_cast` (S = 1), `mh_adder_tree` (one stage per level) and
//! `mh_dot_product` (the product stage, then the tree).
//!
//! With `x_b(k)` the cycle beat `k` crosses boundary `b` (0: the inputs, `S`: the
//! output handshake), stage `b` takes beat `k` once the stage before holds it and its
//! own register is free or being emptied: `x_b(k) = max(x_{b-1}(k) + 1, x_{b+1}(k-1))`.
//! So the inputs are ready for beat `k` from `x_1(k-1)` on and the output offers beat
//! `k` at `x_{S-1}(k) + 1`.

use super::{CycleModel, Io, Ready};

pub struct Pipeline {
    stages: usize,
    /// `x[b]`: crossing cycles of boundary `b` for `1 <= b < S` (index `b - 1`).
    x: Vec<Vec<u64>>,
}

impl Pipeline {
    pub fn new(stages: usize) -> Pipeline {
        Pipeline {
            stages: stages.max(1),
            x: vec![Vec::new(); stages.max(1) - 1],
        }
    }

    /// Crossing of boundary `b` by beat `k`, if known (boundaries 0 and S are streams).
    fn cross(&self, io: &Io<'_>, b: usize, k: usize) -> Option<u64> {
        if b == 0 {
            io.in_hs(0, k)
        } else if b == self.stages {
            io.out_hs(0, k)
        } else {
            self.x[b - 1].get(k).copied()
        }
    }
}

impl CycleModel for Pipeline {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let n = io.ins.len();
        let mut progress = false;
        // Inputs: ready for beat k from x_1(k-1) on, once every input offers it.
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let free = if k == 0 {
                Some(0)
            } else {
                self.cross(io, 1, k - 1)
            };
            let valid = (0..n).try_fold(0u64, |m, i| io.in_valid(i, k).map(|v| m.max(v)));
            if let (Some(free), Some(valid)) = (free, valid) {
                // Every input moves in the same cycle: the last to become valid decides.
                for i in 0..n {
                    io.post_ready(i, Ready::from(free.max(valid)));
                }
                progress = true;
            }
        }
        // Internal boundaries, front to back.
        for b in 1..self.stages {
            loop {
                let k = self.x[b - 1].len();
                let Some(held) = self.cross(io, b - 1, k) else {
                    break;
                };
                let free = if k == 0 {
                    Some(0)
                } else {
                    self.cross(io, b + 1, k - 1)
                };
                let Some(free) = free else { break };
                self.x[b - 1].push((held + 1).max(free));
                progress = true;
            }
        }
        // Output: offered the cycle after the last stage took it.
        let j = io.valid_posted(0);
        if j < io.out_beats(0)
            && let Some(t) = self.cross(io, self.stages - 1, j)
        {
            io.post_valid(0, t + 1);
            progress = true;
        }
        progress
    }
}
