//! FIFO sizing by simulation: the smallest depth of every reconvergent FIFO a netlist
//! inserted (`Netlist::fifos`) that keeps the design's full steady-state throughput and
//! lets it complete under every boundary stimulus it is given.
//!
//! The method (docs/fifo-sizing.md):
//! 1. Run the design with every such FIFO unbounded (as deep as its stream has beats)
//!    under each stimulus, several items back to back; under the first (no stalls), the
//!    span between the first and the last item's final output beat is the throughput
//!    target. Each FIFO's *peak* is the smallest `DEPTH` under which all those runs are
//!    identical cycle for cycle (a beat never waits for memory space), read off its
//!    handshakes. The design with every FIFO at its peak is therefore acceptable, and
//!    the search starts there: the peaks are the upper bounds.
//! 2. A configuration is *acceptable* when the first stimulus completes with a span no
//!    longer than the target and every other stimulus (the stall patterns) completes
//!    without deadlock.
//! 3. Coordinate descent: FIFO by FIFO in netlist order, binary search for the smallest
//!    acceptable depth with the others at their current depths (a FIFO with the same
//!    peak and shape as one already sized tries that depth and one below first). Then
//!    passes that try each FIFO one below its depth repeat until none can shrink, so the
//!    result is minimal per FIFO: every FIFO one shallower, the rest unchanged, either
//!    deadlocks or loses throughput on the simulated traffic. Every accepted step is
//!    a simulated acceptable configuration, so the result is acceptable by construction.
//!
//! It sizes for the simulated traffic only (its stimuli and item count); it is not a
//! proof for other stall patterns. Depths are `mh_fifo`'s `DEPTH` (memory entries; the
//! output register holds one more beat). [`deadlock_boundary`] is the companion search
//! for one FIFO's smallest depth that merely completes (throughput ignored).

use std::collections::BTreeMap;

use system::netlist::Netlist;

use super::fifo::Fifo;
use super::system::system_net;
use super::{CycleError, Net, Stimulus};

/// The smallest `DEPTH` `mh_fifo` accepts.
pub const MIN_DEPTH: usize = 2;

/// A fresh boundary stimulus per run.
pub type MakeStimulus<'a> = Box<dyn Fn() -> Box<dyn Stimulus> + 'a>;

/// The traffic a design is sized on: `items` items back to back under each stimulus;
/// the first one sets the throughput target (it should be free of stalls).
pub struct Traffic<'a> {
    pub items: usize,
    pub stimuli: Vec<(String, MakeStimulus<'a>)>,
}

/// One sized FIFO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizedFifo {
    /// Netlist node index and instance stem.
    pub node: usize,
    pub name: String,
    /// `DEPTH` in the netlist (the sizing rule's).
    pub rule: usize,
    /// `DEPTH` under which the unbounded run is unchanged.
    pub peak: usize,
    /// The smallest acceptable `DEPTH` found.
    pub sized: usize,
    /// `WIDTH × PARALLELISM`: bits per entry.
    pub bits_per_entry: usize,
}

/// Timing of one configuration under the first stimulus.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throughput {
    pub latency_cycles: u64,
    pub cycles_per_item: f64,
}

/// The result of [`size_fifos`].
#[derive(Clone, Debug)]
pub struct Sizing {
    pub items: usize,
    pub fifos: Vec<SizedFifo>,
    /// The netlist's depths (`Err`: the deadlock message), unbounded FIFOs, sized.
    pub rule: Result<Throughput, String>,
    pub unbounded: Throughput,
    pub sized: Throughput,
    /// Simulations run.
    pub runs: usize,
}

impl Sizing {
    /// FIFO memory bits under the rule's depths and the sized ones.
    pub fn bits(&self) -> (u64, u64) {
        let sum = |f: &dyn Fn(&SizedFifo) -> usize| -> u64 {
            self.fifos
                .iter()
                .map(|s| (f(s) * s.bits_per_entry) as u64)
                .sum()
        };
        (sum(&|s| s.rule), sum(&|s| s.sized))
    }
}

/// Whether a configuration is acceptable.
enum Verdict {
    Accept,
    Reject,
}

struct Search<'n, 't, 'a> {
    net: &'n Netlist,
    traffic: &'t Traffic<'a>,
    /// FIFO node indices in netlist order.
    nodes: Vec<usize>,
    target_span: u64,
    runs: usize,
}

/// Runs `net` with each `(node, DEPTH)` of `depths` replacing that FIFO's model.
///
/// # Errors
/// A node without a cycle model, or a deadlock.
pub fn run_with(
    net: &Netlist,
    items: usize,
    depths: &[(usize, usize)],
    stim: &mut dyn Stimulus,
) -> Result<Net, CycleError> {
    let mut n = system_net(net, items)?;
    for &(node, depth) in depths {
        n.nodes[node].model = Box::new(Fifo::new(depth));
    }
    n.run(stim)?;
    Ok(n)
}

/// Cycles between the last output beats of the first and the last item.
fn span(n: &Net, items: usize) -> Option<u64> {
    let out = n
        .streams
        .iter()
        .find(|s| matches!(s.consumer, super::End::Boundary(_)))?;
    let hs = out.handshakes();
    let per = hs.len() / items.max(1);
    let last = |k: usize| hs.get((k + 1) * per.max(1) - 1).copied();
    Some(last(items - 1)? - last(0)?)
}

fn throughput(n: &Net, items: usize) -> Throughput {
    let s = n.summary(items);
    Throughput {
        latency_cycles: s.latency_cycles,
        cycles_per_item: s.cycles_per_item.unwrap_or(0.0),
    }
}

/// The smallest `DEPTH` of FIFO node `node` under which run `n` (with that FIFO deep
/// enough never to fill) would have been the same: beat `k` is written at `a_k` and may
/// be written only once beat `k − DEPTH` has been popped (pop = output valid − 1).
fn peak_depth(n: &Net, node: usize) -> usize {
    let nd = &n.nodes[node];
    let writes = n.streams[nd.ins[0]].handshakes();
    let offered = n.streams[nd.outs[0]].valid_cycles();
    let (mut popped, mut need) = (0usize, MIN_DEPTH);
    for (k, &a) in writes.iter().enumerate() {
        while popped < offered.len() && offered[popped] <= a {
            popped += 1;
        }
        need = need.max(k + 1 - popped.min(k + 1));
    }
    need
}

impl Search<'_, '_, '_> {
    fn depths(&self, d: &[usize]) -> Vec<(usize, usize)> {
        self.nodes.iter().copied().zip(d.iter().copied()).collect()
    }

    fn accept(&mut self, d: &[usize]) -> Result<Verdict, CycleError> {
        let depths = self.depths(d);
        let items = self.traffic.items;
        for (k, (_, make)) in self.traffic.stimuli.iter().enumerate() {
            self.runs += 1;
            match run_with(self.net, items, &depths, &mut *make()) {
                Ok(n) => {
                    if k == 0 && span(&n, items).is_none_or(|s| s > self.target_span) {
                        return Ok(Verdict::Reject);
                    }
                }
                Err(CycleError::Deadlock(_)) => return Ok(Verdict::Reject),
                Err(e) => return Err(e),
            }
        }
        Ok(Verdict::Accept)
    }

    /// The smallest acceptable depth of FIFO `i` in `(fail, pass]`, the others as in `d`
    /// (`d[i] == pass` is acceptable); `hint` is tried first.
    fn shrink(&mut self, d: &mut [usize], i: usize, hint: Option<usize>) -> Result<(), CycleError> {
        let (mut fail, mut pass) = (MIN_DEPTH - 1, d[i]);
        let probe = |s: &mut Self, d: &mut [usize], v: usize| -> Result<bool, CycleError> {
            let keep = d[i];
            d[i] = v;
            let ok = matches!(s.accept(d)?, Verdict::Accept);
            d[i] = keep;
            Ok(ok)
        };
        if let Some(h) = hint.filter(|&h| h > fail && h < pass) {
            if probe(self, d, h)? {
                pass = h;
                if h - 1 > fail {
                    if probe(self, d, h - 1)? {
                        pass = h - 1;
                    } else {
                        fail = h - 1;
                    }
                }
            } else {
                fail = h;
            }
        }
        while pass - fail > 1 {
            let mid = fail + (pass - fail) / 2;
            if probe(self, d, mid)? {
                pass = mid;
            } else {
                fail = mid;
            }
        }
        d[i] = pass;
        Ok(())
    }
}

/// The FIFOs of `net.fifos` as (node index, current `DEPTH`, bits per entry).
fn inserted_fifos(net: &Netlist) -> Vec<(usize, usize, usize)> {
    net.fifos
        .iter()
        .filter_map(|(inst, _, _)| {
            net.nodes
                .iter()
                .position(|n| format!("u_{}", n.name) == *inst)
        })
        .map(|i| {
            let p = net.nodes[i].inst.params();
            (
                i,
                p.get_usize("DEPTH"),
                p.get_usize("WIDTH") * p.get_usize("PARALLELISM"),
            )
        })
        .collect()
}

/// Sizes every FIFO of `net.fifos` (see the module docs).
///
/// # Errors
/// Fewer than two items or no stimulus, a node without a cycle model, or a design that
/// deadlocks even with unbounded FIFOs.
pub fn size_fifos(net: &Netlist, traffic: &Traffic<'_>) -> Result<Sizing, SizingError> {
    let items = traffic.items;
    if items < 2 || traffic.stimuli.is_empty() {
        return Err(SizingError::Traffic);
    }
    let fifos = inserted_fifos(net);
    let nodes: Vec<usize> = fifos.iter().map(|f| f.0).collect();
    let mut runs = 0;
    let rule_run = {
        runs += 1;
        run_with(net, items, &[], &mut *(traffic.stimuli[0].1)())
    };
    let rule = match rule_run {
        Ok(n) => Ok(throughput(&n, items)),
        Err(CycleError::Deadlock(d)) => Err(d.to_string()),
        Err(e) => return Err(SizingError::Cycle(e)),
    };
    let unbounded: Vec<(usize, usize)> = nodes
        .iter()
        .map(|&i| {
            let beats = net
                .edges
                .iter()
                .find(|e| e.to == system::netlist::Endpoint::Node(i))
                .map_or(1, |e| items * e.elements / e.lanes.max(1));
            (i, beats.max(MIN_DEPTH))
        })
        .collect();
    // Unbounded under every stimulus: each FIFO's peak is the largest over them, so the
    // peaks reproduce every unbounded run and are acceptable.
    let mut free = None;
    let mut peaks = vec![MIN_DEPTH; nodes.len()];
    for (k, (name, make)) in traffic.stimuli.iter().enumerate() {
        runs += 1;
        let n = run_with(net, items, &unbounded, &mut *make())
            .map_err(|e| SizingError::Unbounded(format!("{name}: {e}")))?;
        for (p, &i) in peaks.iter_mut().zip(&nodes) {
            *p = (*p).max(peak_depth(&n, i));
        }
        if k == 0 {
            free = Some(n);
        }
    }
    let free = free.ok_or(SizingError::Traffic)?;
    let target_span = span(&free, items).ok_or(SizingError::Traffic)?;
    let mut search = Search {
        net,
        traffic,
        nodes,
        target_span,
        runs,
    };
    let mut d = peaks.clone();
    // First pass, with hints from FIFOs of the same peak and shape.
    let mut hints: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for i in 0..d.len() {
        let key = (peaks[i], fifos[i].2);
        search.shrink(&mut d, i, hints.get(&key).copied())?;
        hints.insert(key, d[i]);
    }
    // Refinement: until no FIFO can go one lower.
    loop {
        let mut changed = false;
        for i in 0..d.len() {
            if d[i] > MIN_DEPTH {
                let before = d[i];
                let hint = Some(before - 1);
                search.shrink(&mut d, i, hint)?;
                changed |= d[i] != before;
            }
        }
        if !changed {
            break;
        }
    }
    search.runs += 1;
    let sized = run_with(
        net,
        items,
        &search.depths(&d),
        &mut *(traffic.stimuli[0].1)(),
    )?;
    Ok(Sizing {
        items,
        fifos: fifos
            .iter()
            .zip(&peaks)
            .zip(&d)
            .map(|((&(node, rule, bits), &peak), &sized)| SizedFifo {
                node,
                name: net.nodes[node].name.clone(),
                rule,
                peak,
                sized,
                bits_per_entry: bits,
            })
            .collect(),
        rule,
        unbounded: throughput(&free, items),
        sized: throughput(&sized, items),
        runs: search.runs,
    })
}

/// The smallest `DEPTH` of FIFO node `node` (the others as in `net`) under which every
/// stimulus of `traffic` completes, searched in `[MIN_DEPTH, hi]` (`hi` must complete).
///
/// # Errors
/// `hi` itself deadlocks (`SizingError::Unbounded`), or an engine error.
pub fn deadlock_boundary(
    net: &Netlist,
    node: usize,
    hi: usize,
    traffic: &Traffic<'_>,
) -> Result<usize, SizingError> {
    let completes = |depth: usize| -> Result<bool, SizingError> {
        for (_, make) in &traffic.stimuli {
            match run_with(net, traffic.items, &[(node, depth)], &mut *make()) {
                Ok(_) => {}
                Err(CycleError::Deadlock(_)) => return Ok(false),
                Err(e) => return Err(SizingError::Cycle(e)),
            }
        }
        Ok(true)
    };
    if !completes(hi)? {
        return Err(SizingError::Unbounded(format!(
            "node {} deadlocks at DEPTH {hi}",
            net.nodes[node].name
        )));
    }
    let (mut fail, mut pass) = (MIN_DEPTH - 1, hi);
    while pass - fail > 1 {
        let mid = fail + (pass - fail) / 2;
        if completes(mid)? {
            pass = mid;
        } else {
            fail = mid;
        }
    }
    Ok(pass)
}

/// Errors of FIFO sizing.
#[derive(Debug, thiserror::Error)]
pub enum SizingError {
    #[error("sizing needs at least 2 items and one stimulus")]
    Traffic,
    #[error("the design does not complete with unbounded FIFOs: {0}")]
    Unbounded(String),
    #[error("{0}")]
    Cycle(#[from] CycleError),
}
