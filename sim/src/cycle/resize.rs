//! Cycle model of `mh_resize`: a buffer of `G`-lane chunks (`G = gcd(IN, OUT)`), an
//! input beat adding `A = IN/G` chunks and an output beat removing `B = OUT/G`. Both
//! handshakes are registered from the chunk count, so input beat `k` is ready from the
//! cycle after enough output beats left for `A·k − B·out <= CAP − A`, and output beat
//! `k` is valid from the cycle after enough input beats arrived for `A·in − B·k >= B`.

use super::{CycleModel, Io, Ready};

pub struct Resize {
    a: usize,
    b: usize,
    push_max: usize,
}

fn gcd(x: usize, y: usize) -> usize {
    if y == 0 { x } else { gcd(y, x % y) }
}

impl Resize {
    pub fn new(in_lanes: usize, out_lanes: usize) -> Resize {
        let g = gcd(in_lanes, out_lanes);
        let (a, b) = (in_lanes / g, out_lanes / g);
        let cap = a.max(b) + 2 * a.min(b) - 1;
        Resize {
            a,
            b,
            push_max: cap - a,
        }
    }
}

impl CycleModel for Resize {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            // Output beats that must have left: ceil((A·k − PUSH_MAX) / B).
            let need = (self.a * k).saturating_sub(self.push_max).div_ceil(self.b);
            let from = if need == 0 {
                Some(0)
            } else {
                io.out_hs(0, need - 1).map(|e| e + 1)
            };
            if let Some(from) = from {
                io.post_ready(0, Ready::from(from));
                return true;
            }
        }
        let j = io.valid_posted(0);
        if j < io.out_beats(0) {
            let need = (self.b * (j + 1)).div_ceil(self.a);
            let arrived = io.in_hs(0, need - 1).map(|a| a + 1);
            let prev = if j == 0 {
                Some(0)
            } else {
                io.out_hs(0, j - 1).map(|e| e + 1)
            };
            if let (Some(arrived), Some(prev)) = (arrived, prev) {
                io.post_valid(0, arrived.max(prev));
                return true;
            }
        }
        false
    }
}
