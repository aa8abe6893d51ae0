//! The output tail `mh_linear` and `mh_matmul` share (`mh_credit_fifo`): output beat m
//! is pushed into the FIFO T + 2 cycles after the last of its blocks issued and
//! pops no earlier than the previous beat's handshake. One recurrence for both models.

use super::Io;

/// Posts every output beat whose last block has issued (`last`: the issue cycle of
/// each beat's last block) and whose predecessor has been taken; `pops` holds the pop
/// cycle of every beat posted so far. Returns whether a beat was posted.
pub(super) fn post_pops(last: &[u64], t: u64, pops: &mut Vec<u64>, io: &mut Io<'_>) -> bool {
    let mut progress = false;
    loop {
        let m = pops.len();
        if m >= io.out_beats(0) {
            break;
        }
        let Some(&last) = last.get(m) else {
            break;
        };
        let prev = if m == 0 { Some(0) } else { io.out_hs(0, m - 1) };
        let Some(prev) = prev else { break };
        let p = (last + t + 3).max(prev);
        pops.push(p);
        io.post_valid(0, p + 1);
        progress = true;
    }
    progress
}
