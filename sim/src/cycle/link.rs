//! An inter-device link as a netlist node (for multi-FPGA systems): a serialiser of
//! `bits_per_cycle` bits a cycle, `latency` cycles of flight, and credit-based
//! backpressure with `credits` receive buffers. A beat of `beat_bits` bits occupies
//! the wire `ser = ceil(beat_bits / bits_per_cycle)` cycles.
//!
//! Beat `k` is accepted at `a_k` once the wire is free (`a_{k-1} + ser`) and a credit is
//! held: beat `k - credits` left the receiver at least `latency` cycles earlier (the
//! credit flies back). It arrives at `a_k + ser + latency` and is offered from then,
//! or the cycle after beat `k-1` left, whichever is later. Without backpressure the
//! link sustains one beat per `max(ser, (ser + 2·latency) / credits)` cycles.
//!
//! Use: `Node { name, ins: vec![s_in], outs: vec![s_out], model: Box::new(Link::new(p)) }`
//! in a [`super::Net`]; streams on both sides carry the same beats.

use super::{CycleModel, Io, Ready};

/// Parameters of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParams {
    /// Cycles from the end of serialisation to arrival (and for a credit to return).
    pub latency: u64,
    /// Payload bits the link carries per cycle (>= 1).
    pub bits_per_cycle: u64,
    /// Bits per beat of the stream it carries.
    pub beat_bits: u64,
    /// Receive buffers, each returning a credit when its beat leaves (>= 1).
    pub credits: usize,
}

/// The link's cycle model.
pub struct Link {
    p: LinkParams,
    ser: u64,
}

impl Link {
    pub fn new(p: LinkParams) -> Link {
        let ser = p.beat_bits.div_ceil(p.bits_per_cycle.max(1)).max(1);
        Link {
            p: LinkParams {
                credits: p.credits.max(1),
                ..p
            },
            ser,
        }
    }
    /// Cycles one beat occupies the wire.
    pub fn serialisation(&self) -> u64 {
        self.ser
    }
}

impl CycleModel for Link {
    fn advance(&mut self, io: &mut Io<'_>) -> bool {
        let k = io.ready_posted(0);
        if k < io.in_beats(0) {
            let wire = if k == 0 {
                Some(0)
            } else {
                io.in_hs(0, k - 1).map(|a| a + self.ser)
            };
            let credit = if k < self.p.credits {
                Some(0)
            } else {
                io.out_hs(0, k - self.p.credits)
                    .map(|e| e + self.p.latency.max(1))
            };
            if let (Some(w), Some(c)) = (wire, credit) {
                io.post_ready(0, Ready::from(w.max(c)));
                return true;
            }
        }
        let j = io.valid_posted(0);
        if j < io.out_beats(0)
            && let Some(a) = io.in_hs(0, j)
        {
            let prev = if j == 0 {
                Some(0)
            } else {
                io.out_hs(0, j - 1).map(|e| e + 1)
            };
            if let Some(prev) = prev {
                io.post_valid(0, (a + self.ser + self.p.latency).max(prev));
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cycle::{End, Net, Node, Stimulus};

    /// Output ready every other cycle, input always offering.
    struct Half;
    impl Stimulus for Half {
        fn offer(&mut self, _: usize, from: u64) -> u64 {
            from
        }
        fn accept(&mut self, _: usize, from: u64) -> u64 {
            from + u64::from(!from.is_multiple_of(2))
        }
    }

    /// A cycle-stepped reference of the same link written independently: per cycle,
    /// credits, the wire, beats in flight and the receive buffer.
    fn reference(p: LinkParams, beats: usize, half: bool) -> (Vec<u64>, Vec<u64>) {
        let ser = p.beat_bits.div_ceil(p.bits_per_cycle).max(1);
        let (mut acc, mut out) = (Vec::new(), Vec::new());
        let mut credits = p.credits;
        let mut wire_free = 0u64;
        let mut arriving: Vec<u64> = Vec::new(); // arrival cycle per beat
        let mut returning: Vec<u64> = Vec::new(); // cycle a credit is back
        let mut c = 0u64;
        while out.len() < beats {
            credits += returning.iter().filter(|&&r| r == c).count();
            // Sender: accept when the wire is free and a credit is held.
            if acc.len() < beats && c >= wire_free && credits > 0 {
                acc.push(c);
                credits -= 1;
                wire_free = c + ser;
                arriving.push(c + ser + p.latency);
            }
            // Receiver: the oldest arrived beat is offered; taken if ready.
            let j = out.len();
            let ready = !half || c.is_multiple_of(2);
            if j < arriving.len() && arriving[j] <= c && out.last().is_none_or(|&e| e < c) && ready
            {
                out.push(c);
                returning.push(c + p.latency.max(1));
            }
            c += 1;
        }
        (acc, out)
    }

    fn fast(p: LinkParams, beats: usize, half: bool) -> (Vec<u64>, Vec<u64>) {
        let mut net = Net::default();
        let a = net.add_stream(
            "in",
            beats,
            End::Boundary(0),
            End::Node { node: 0, port: 0 },
        );
        let b = net.add_stream(
            "out",
            beats,
            End::Node { node: 0, port: 0 },
            End::Boundary(0),
        );
        net.nodes.push(Node {
            name: "link".into(),
            ins: vec![a],
            outs: vec![b],
            model: Box::new(Link::new(p)),
        });
        if half {
            net.run(&mut Half).unwrap();
        } else {
            net.run(&mut crate::cycle::NoStalls).unwrap();
        }
        (
            net.streams[a].handshakes().to_vec(),
            net.streams[b].handshakes().to_vec(),
        )
    }

    #[test]
    fn link_equals_a_cycle_stepped_reference() {
        for latency in [0, 1, 5, 54] {
            for (bits, beat) in [(64, 64), (400, 768 * 8), (32, 48)] {
                for credits in [1, 2, 4, 64] {
                    for half in [false, true] {
                        let p = LinkParams {
                            latency,
                            bits_per_cycle: bits,
                            beat_bits: beat,
                            credits,
                        };
                        assert_eq!(
                            fast(p, 40, half),
                            reference(p, 40, half),
                            "{p:?} half {half}"
                        );
                    }
                }
            }
        }
    }
}
