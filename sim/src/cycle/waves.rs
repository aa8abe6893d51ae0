//! VCD waveforms of a finished fast-engine run, written with the `vcd` crate.
//!
//! Every stream `s<i>` (scope `streams.s<i>_<name>`, the name with every character
//! other than letters, digits and `_` replaced by `_`) has `valid`, `ready` and `beats`
//! (handshakes so far, 32 bits); every FIFO named by the caller has `occupancy`
//! (scope `fifos.<node>`, 32 bits). A beat's `valid` is high from the cycle it rose
//! to its handshake; `ready` follows the consumer's ready windows (for the boundary
//! output: low from valid until the handshake the stimulus allowed); `beats` and
//! `occupancy` change in the cycle after a handshake, as registers would. Time is
//! `cycle × ps_per_cycle` picoseconds, and only change points are written: a million
//! idle cycles cost nothing.
//!
//! Not here: beat values, and cycles after the last handshake of a stream (its signals
//! fall once it has carried all its beats).

use std::collections::BTreeMap;
use std::io::{self, Write};

use vcd::{IdCode, TimescaleUnit, Value};

use super::{End, NEVER, Net};

/// One signal's change points: (cycle, value), in cycle order.
type Changes = Vec<(u64, u64)>;

/// `valid` of a stream: high from each beat's valid cycle to its handshake.
fn valid_changes(valid: &[u64], hs: &[u64]) -> Changes {
    let mut level = Vec::new();
    for (&v, &h) in valid.iter().zip(hs) {
        level.push((v, 1));
        level.push((h + 1, 0));
    }
    settle(level)
}

/// `ready` of a stream whose consumer posted `windows` (one per beat).
fn ready_changes(windows: &[super::Ready], hs: &[u64]) -> Changes {
    let mut level = Vec::new();
    let mut start = 0u64;
    for (r, &h) in windows.iter().zip(hs) {
        if r.pulse != NEVER && r.pulse >= start && r.pulse <= h {
            level.push((r.pulse, 1));
            level.push((r.pulse + 1, 0));
        }
        let from = r.from.max(start);
        if from <= h {
            level.push((from, 1));
        }
        level.push((h + 1, 0));
        start = h + 1;
    }
    settle(level)
}

/// Drops redundant points: at equal cycles the last value wins, and a value equal to
/// the previous one is no change.
fn settle(points: Changes) -> Changes {
    let mut out: Changes = Vec::with_capacity(points.len());
    for (c, v) in points {
        if let Some(last) = out.last_mut()
            && last.0 == c
        {
            last.1 = v;
            continue;
        }
        out.push((c, v));
    }
    let mut dedup: Changes = Vec::with_capacity(out.len());
    let mut cur = 0;
    for (c, v) in out {
        if v != cur {
            dedup.push((c, v));
            cur = v;
        }
    }
    dedup
}

/// Beats so far: `k + 1` from the cycle after handshake `k`.
fn count_changes(hs: &[u64]) -> Changes {
    settle(
        hs.iter()
            .enumerate()
            .map(|(k, &h)| (h + 1, k as u64 + 1))
            .collect(),
    )
}

/// Occupancy of a FIFO taking beats at `taken` and emitting at `emitted`: from the
/// cycle after each handshake.
fn occupancy_changes(taken: &[u64], emitted: &[u64]) -> Changes {
    let mut delta: BTreeMap<u64, i64> = BTreeMap::new();
    for &c in taken {
        *delta.entry(c + 1).or_insert(0) += 1;
    }
    for &c in emitted {
        *delta.entry(c + 1).or_insert(0) -= 1;
    }
    let mut level = 0i64;
    settle(
        delta
            .into_iter()
            .map(|(c, d)| {
                level += d;
                (c, level.max(0) as u64)
            })
            .collect(),
    )
}

/// The scope name of stream `i` called `name`.
pub fn stream_scope(i: usize, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("s{i}_{clean}")
}

/// Writes the VCD of the finished run `net` to `out`; `fifos` names the FIFO nodes
/// (node index; their first input and output give the occupancy).
///
/// # Errors
/// Writing to `out` failed.
pub fn write_vcd(net: &Net, fifos: &[usize], ps_per_cycle: u64, out: impl Write) -> io::Result<()> {
    let mut w = vcd::Writer::new(io::BufWriter::new(out));
    w.timescale(1, TimescaleUnit::PS)?;
    w.add_module("fast")?;
    let mut signals: Vec<(IdCode, u32, Changes)> = Vec::new();
    w.add_module("streams")?;
    for (i, s) in net.streams.iter().enumerate() {
        w.add_module(&stream_scope(i, &s.name))?;
        let ready = match s.consumer {
            End::Node { .. } => ready_changes(&s.ready, &s.hs),
            // The boundary accepts a beat at its handshake and not before it.
            End::Boundary(_) => {
                let windows: Vec<super::Ready> =
                    s.hs.iter().map(|&h| super::Ready::from(h)).collect();
                ready_changes(&windows, &s.hs)
            }
        };
        signals.push((w.add_wire(1, "valid")?, 1, valid_changes(&s.valid, &s.hs)));
        signals.push((w.add_wire(1, "ready")?, 1, ready));
        signals.push((w.add_wire(32, "beats")?, 32, count_changes(&s.hs)));
        w.upscope()?;
    }
    w.upscope()?;
    w.add_module("fifos")?;
    for &f in fifos {
        let n = &net.nodes[f];
        let (Some(&a), Some(&b)) = (n.ins.first(), n.outs.first()) else {
            continue;
        };
        w.add_module(&stream_scope(f, &n.name))?;
        let occ = occupancy_changes(&net.streams[a].hs, &net.streams[b].hs);
        signals.push((w.add_wire(32, "occupancy")?, 32, occ));
        w.upscope()?;
    }
    w.upscope()?;
    w.upscope()?;
    w.enddefinitions()?;
    // Every signal starts at 0; then the change points in cycle order.
    let mut events: BTreeMap<u64, Vec<(usize, u64)>> = BTreeMap::new();
    for (k, (_, _, ch)) in signals.iter().enumerate() {
        events.entry(0).or_default().push((k, 0));
        for &(c, v) in ch {
            events.entry(c).or_default().push((k, v));
        }
    }
    for (c, list) in events {
        w.timestamp(c * ps_per_cycle)?;
        // At cycle 0 the initial 0 is overridden by a change at 0.
        let mut last: BTreeMap<usize, u64> = BTreeMap::new();
        for (k, v) in list {
            last.insert(k, v);
        }
        for (k, v) in last {
            let (id, width, _) = &signals[k];
            if *width == 1 {
                w.change_scalar(*id, if v == 1 { Value::V1 } else { Value::V0 })?;
            } else {
                let bits = (0..*width).rev().map(|b| {
                    if (v >> b) & 1 == 1 {
                        Value::V1
                    } else {
                        Value::V0
                    }
                });
                w.change_vector(*id, bits)?;
            }
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cycle::Ready;

    #[test]
    fn back_to_back_beats_keep_valid_high() {
        assert_eq!(valid_changes(&[2, 3, 4], &[2, 3, 6]), vec![(2, 1), (7, 0)]);
        assert_eq!(
            valid_changes(&[0, 5], &[1, 5]),
            vec![(0, 1), (2, 0), (5, 1), (6, 0)]
        );
    }

    #[test]
    fn ready_follows_pulses_and_windows() {
        let w = [Ready { pulse: 1, from: 4 }, Ready::from(6)];
        // Beat 0: pulse at 1 (missed), ready from 4, handshake 5; beat 1 from 6 to 6.
        assert_eq!(
            ready_changes(&w, &[5, 6]),
            vec![(1, 1), (2, 0), (4, 1), (7, 0)]
        );
    }

    #[test]
    fn occupancy_counts_beats_held() {
        assert_eq!(
            occupancy_changes(&[0, 1, 2], &[3, 4, 5]),
            vec![(1, 1), (2, 2), (3, 3), (4, 2), (5, 1), (6, 0)]
        );
    }
}
