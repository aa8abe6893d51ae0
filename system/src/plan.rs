//! A partition of a model over devices: which model nodes each device implements
//! (contiguous runs in topological order) and on which board. [`split_by_count`] is a
//! simple cutter (balanced weight counts at cuts where a single tensor is live); the
//! resource-aware planner replaces it.

use model::graph::{Graph, Op};

use crate::SystemError;

/// Model nodes per device, in pipeline order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub devices: Vec<DevicePart>,
}

/// One device: its board and the model nodes it implements (contiguous in
/// topological order).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DevicePart {
    pub board: String,
    pub nodes: Vec<String>,
}

/// Positions `k` (cut between node `k − 1` and node `k`) where exactly one tensor is
/// live, i.e. produced before and consumed at or after `k`, with a computing node on
/// both sides (not only the model's input or output node).
pub fn single_stream_cuts(graph: &Graph) -> Vec<usize> {
    let n = graph.nodes.len();
    let pos = |name: &str| graph.nodes.iter().position(|m| m.name == name);
    // Last consumer of every node's output.
    let mut last = vec![0usize; n];
    for (j, node) in graph.nodes.iter().enumerate() {
        for i in node.inputs.iter().filter_map(|t| pos(t)) {
            last[i] = last[i].max(j);
        }
    }
    let computes = |r: std::ops::Range<usize>| {
        graph.nodes[r]
            .iter()
            .any(|m| !matches!(m.op, Op::Input | Op::Output))
    };
    (1..n)
        .filter(|&k| (0..k).filter(|&i| last[i] >= k).count() == 1)
        .filter(|&k| computes(0..k) && computes(k..n))
        .collect()
}

/// `devices` parts of `graph` on `board`, cut where one tensor is live, each part's
/// weight count (parameter elements, plus one per node) as close to an equal share
/// as those cuts allow.
///
/// # Errors
/// Zero devices, or fewer single-stream cut points than `devices − 1`.
pub fn split_by_count(
    graph: &Graph,
    devices: usize,
    board: &str,
) -> Result<Partition, SystemError> {
    let bad = |rule: String| SystemError::Model {
        model: graph.name.clone(),
        rule,
    };
    if devices == 0 {
        return Err(bad("--devices: must be at least 1".into()));
    }
    let size = |p: &str| {
        graph
            .params
            .iter()
            .find(|q| q.name == p)
            .map_or(0, |q| q.shape.iter().product::<usize>())
    };
    let weight: Vec<usize> = graph
        .nodes
        .iter()
        .map(|n| 1 + n.op.params().iter().map(|p| size(p)).sum::<usize>())
        .collect();
    let total: usize = weight.iter().sum();
    let mut prefix = vec![0usize];
    for w in &weight {
        prefix.push(prefix.last().copied().unwrap_or(0) + w);
    }
    let cuts = single_stream_cuts(graph);
    if cuts.len() + 1 < devices {
        return Err(bad(format!(
            "--devices {devices}: only {} cut points carry a single stream (cuts inside a residual block are not supported)",
            cuts.len()
        )));
    }
    let mut chosen: Vec<usize> = Vec::new();
    for d in 1..devices {
        let target = total * d / devices;
        let lo = chosen.last().copied().unwrap_or(0);
        // Leave enough cut points for the remaining devices.
        let left = devices - 1 - d;
        let avail: Vec<usize> = cuts.iter().copied().filter(|&c| c > lo).collect();
        let avail = &avail[..avail.len() - left];
        let best = avail
            .iter()
            .copied()
            .min_by_key(|&c| prefix[c].abs_diff(target))
            .ok_or_else(|| {
                bad(format!(
                    "--devices {devices}: no cut point left for device {d}"
                ))
            })?;
        chosen.push(best);
    }
    let mut bounds = vec![0];
    bounds.extend(chosen);
    bounds.push(graph.nodes.len());
    Ok(Partition {
        devices: bounds
            .windows(2)
            .map(|w| DevicePart {
                board: board.to_string(),
                nodes: graph.nodes[w[0]..w[1]]
                    .iter()
                    .map(|n| n.name.clone())
                    .collect(),
            })
            .collect(),
    })
}
