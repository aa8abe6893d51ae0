//! The issue order `mh_linear` and `mh_matmul` share (`mh_mac_lane` engines): one block
//! per cycle, `kb` blocks per output beat, output beats in order, kept per output beat
//! (the cycles of its first and last block) rather than per block. At one lane a
//! bert-base linear issues 10⁸ blocks per sequence; per-block storage and per-block
//! steps would make the model's cost grow with cycles, not beats.
//!
//! Only the first output block of a row (`m % jb == 0`) waits for input beats; the
//! other output blocks read the same beats, already stored. So a beat whose middle
//! blocks are constrained by nothing but the one-block-per-cycle order is issued in one
//! step ([`Blocks::skip_middle`]).

/// Issue cycles of a MAC engine's blocks so far.
pub(super) struct Blocks {
    kb: usize,
    /// Issue cycle of the first and of the last block of each output beat (`first` may
    /// be one longer: the beat in progress).
    pub first: Vec<u64>,
    pub last: Vec<u64>,
    /// Next block of the beat in progress and the issue cycle of the block before it.
    k: usize,
    prev: Option<u64>,
    /// Blocks issued, and cycles an issue waited for a credit alone.
    issued: u64,
    held: u64,
}

impl Blocks {
    pub fn new(kb: usize) -> Blocks {
        Blocks {
            kb: kb.max(1),
            first: Vec::new(),
            last: Vec::new(),
            k: 0,
            prev: None,
            issued: 0,
            held: 0,
        }
    }

    /// The next block to issue: its output beat and its index within the beat.
    pub fn next(&self) -> (usize, usize) {
        (self.last.len(), self.k)
    }

    /// Earliest cycle of the next block from the issue order alone.
    pub fn after_prev(&self) -> u64 {
        self.prev.map_or(0, |p| p + 1)
    }

    /// Records the issue of the next block at cycle `c`.
    pub fn issue(&mut self, c: u64) {
        self.issued += 1;
        if self.k == 0 {
            self.first.push(c);
        }
        self.prev = Some(c);
        self.k += 1;
        if self.k == self.kb {
            self.last.push(c);
            self.k = 0;
        }
    }

    /// Notes that the next block was held `cycles` by a full output FIFO (no credit)
    /// after everything else allowed it.
    pub fn hold(&mut self, cycles: u64) {
        self.held += cycles;
    }

    /// The engine's [`super::Activity`]: one block per busy cycle.
    pub fn activity(&self) -> super::Activity {
        super::Activity {
            busy: self.issued,
            backpressured: self.held,
        }
    }

    /// Issues the blocks between the first and the last of the beat in progress, one
    /// cycle apart; for callers that know nothing else constrains them.
    pub fn skip_middle(&mut self) {
        if self.k >= 1 && self.k + 1 < self.kb {
            let n = (self.kb - 1 - self.k) as u64;
            self.prev = self.prev.map(|p| p + n);
            self.k = self.kb - 1;
            self.issued += n;
        }
    }
}
