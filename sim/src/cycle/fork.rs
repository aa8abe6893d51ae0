//! Cycle model of `mh_fork`: every output offers the input beat while the input is
//! valid and that output has not taken it yet; the input is taken in the cycle the last
//! output takes it (its ready is the AND of every output's ready or taken flag).

use super::{CycleModel, Io, Ready};

#[derive(Default)]
pub struct Fork;

impl CycleModel for Fork {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let n = io.outs.len();
        let j = io.valid_posted(0);
        if j < io.out_beats(0)
            && let Some(v) = io.in_valid(0, j)
        {
            for o in 0..n {
                io.post_valid(o, v);
            }
            return true;
        }
        let k = io.ready_posted(0);
        if k < io.in_beats(0)
            && let Some(last) = (0..n).try_fold(0u64, |m, o| io.out_hs(o, k).map(|h| m.max(h)))
        {
            io.post_ready(0, Ready::from(last));
            return true;
        }
        false
    }
}
