//! Partitioning a model over several FPGAs: a [`Partition`] lists, per device, the
//! board it runs on and the model nodes it holds. Every node of the graph belongs to
//! exactly one device, and each device's nodes are contiguous in the graph's
//! topological order (device 0 holds the graph input, the last device its output), so
//! a cut between two devices is a position in the node list and every tensor produced
//! before it and read after it crosses the link.
//!
//! [`balanced_partition`] is the forced-device-count entry point: given the resolved
//! lanes of every node it places the cuts so that the slowest device's estimated
//! cycles per item are as small as possible (an exact min-max dynamic programme over
//! the cut positions).

use model::graph::{Graph, Op};
use model::quant::QuantPlan;

use crate::SystemError;
use crate::board::Board;

/// A model split over devices, in pipeline order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Partition {
    pub devices: Vec<DevicePart>,
}

/// One device of a [`Partition`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DevicePart {
    /// Catalog name of the board ([`crate::board::find`]).
    pub board: String,
    /// Model node names, contiguous in topological order.
    pub nodes: Vec<String>,
}

impl Partition {
    /// The device holding `node`, if any.
    pub fn device_of(&self, node: &str) -> Option<usize> {
        self.devices
            .iter()
            .position(|d| d.nodes.iter().any(|n| n == node))
    }
}

/// Estimated cycles per item of one node at its resolved lanes: the multiply-adds
/// (or elements) of one item divided by the lanes working on them in parallel.
pub fn node_cycles(graph: &Graph, plan: &QuantPlan, name: &str) -> u64 {
    let Some(node) = graph.node(name) else {
        return 0;
    };
    let lanes = |k: &str| {
        plan.parallelism
            .get(name)
            .and_then(|m| m.get(k))
            .copied()
            .unwrap_or(1)
            .max(1) as u64
    };
    let elems = |s: &[usize]| s.iter().product::<usize>() as u64;
    let in_last = node
        .inputs
        .first()
        .and_then(|i| graph.node(i))
        .and_then(|n| n.shape.last().copied())
        .unwrap_or(1) as u64;
    match &node.op {
        Op::Linear { .. } => elems(&node.shape) * in_last / (lanes("in") * lanes("out")),
        Op::Matmul { .. } => elems(&node.shape) * in_last / (lanes("k") * lanes("n")),
        Op::Input | Op::Output | Op::Reshape => 0,
        _ => elems(&node.shape) / lanes("lanes"),
    }
}

/// Splits `graph` into `devices` contiguous parts of `board`s minimising the largest
/// per-device sum of [`node_cycles`] (the pipeline's bottleneck when each device
/// runs its nodes one after another).
///
/// # Errors
/// A device count of zero or above the number of nodes.
pub fn balanced_partition(
    graph: &Graph,
    plan: &QuantPlan,
    board: &Board,
    devices: usize,
) -> Result<Partition, SystemError> {
    let n = graph.nodes.len();
    if devices == 0 || devices > n {
        return Err(SystemError::Model {
            model: graph.name.clone(),
            rule: format!(
                "--devices {devices}: must be between 1 and the number of nodes ({n})"
            ),
        });
    }
    let cost: Vec<u64> = graph
        .nodes
        .iter()
        .map(|nd| node_cycles(graph, plan, &nd.name))
        .collect();
    let cuts = min_max_cuts(&cost, devices);
    Ok(from_cuts(graph, &board.name, &cuts))
}

/// The partition whose device `d` holds nodes `cuts[d]..cuts[d + 1]` (`cuts` starts
/// at 0 and ends at the node count).
pub fn from_cuts(graph: &Graph, board: &str, cuts: &[usize]) -> Partition {
    Partition {
        devices: cuts
            .windows(2)
            .map(|w| DevicePart {
                board: board.to_string(),
                nodes: graph.nodes[w[0]..w[1]]
                    .iter()
                    .map(|n| n.name.clone())
                    .collect(),
            })
            .collect(),
    }
}

/// Cut positions `[0, c1, .., n]` splitting `cost` into `k` non-empty contiguous
/// parts with the smallest possible maximum part sum (O(k·n²) dynamic programme; ties
/// keep the earliest cut).
pub fn min_max_cuts(cost: &[u64], k: usize) -> Vec<usize> {
    let n = cost.len();
    let mut prefix = vec![0u64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + cost[i];
    }
    // best[j][i]: smallest max over j parts covering the first i nodes.
    let mut best = vec![vec![u64::MAX; n + 1]; k + 1];
    let mut arg = vec![vec![0usize; n + 1]; k + 1];
    best[0][0] = 0;
    for j in 1..=k {
        for i in j..=n {
            for c in (j - 1)..i {
                if best[j - 1][c] == u64::MAX {
                    continue;
                }
                let v = best[j - 1][c].max(prefix[i] - prefix[c]);
                if v < best[j][i] {
                    best[j][i] = v;
                    arg[j][i] = c;
                }
            }
        }
    }
    let mut cuts = vec![n];
    let mut i = n;
    for j in (1..=k).rev() {
        i = arg[j][i];
        cuts.push(i);
    }
    cuts.reverse();
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The best maximum part sum over every choice of `k − 1` cut positions.
    fn brute(cost: &[u64], k: usize) -> u64 {
        fn go(cost: &[u64], left: usize, start: usize, acc: u64) -> u64 {
            let n = cost.len();
            if left == 1 {
                return acc.max(cost[start..].iter().sum());
            }
            (start + 1..=n - left + 1)
                .map(|c| go(cost, left - 1, c, acc.max(cost[start..c].iter().sum())))
                .min()
                .unwrap_or(u64::MAX)
        }
        go(cost, k, 0, 0)
    }

    #[test]
    fn min_max_cuts_matches_exhaustive_search() {
        let mut rng = generator::rng::Rng::new(7);
        for _ in 0..200 {
            let n = 1 + rng.below(9) as usize;
            let k = 1 + rng.below(n as u64) as usize;
            let cost: Vec<u64> = (0..n).map(|_| rng.below(50)).collect();
            let cuts = min_max_cuts(&cost, k);
            assert_eq!(cuts.len(), k + 1);
            assert_eq!((cuts[0], cuts[k]), (0, n));
            assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{cuts:?}");
            let got = cuts
                .windows(2)
                .map(|w| cost[w[0]..w[1]].iter().sum::<u64>())
                .max()
                .unwrap();
            assert_eq!(got, brute(&cost, k), "{cost:?} k={k}");
        }
    }
}
