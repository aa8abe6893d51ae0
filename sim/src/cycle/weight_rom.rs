//! Cycle model of `mh_weight_rom`: a source that reads the next word whenever its output
//! register is empty or being emptied, so word 0 is offered at cycle 1 (the first edge
//! after reset reads it) and word `k` the cycle after word `k-1` was taken.

use super::{CycleModel, Io};

#[derive(Default)]
pub struct WeightRom;

impl CycleModel for WeightRom {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let j = io.valid_posted(0);
        if j < io.out_beats(0) {
            let v = if j == 0 {
                Some(1)
            } else {
                io.out_hs(0, j - 1).map(|e| e + 1)
            };
            if let Some(v) = v {
                io.post_valid(0, v);
                return true;
            }
        }
        false
    }
}
