//! Data mode of the fast engine: the values the beats of a finished run carry.
//!
//! Every stream of a [`Net`] built by [`super::system::system_net`] gets, beat by beat,
//! the lanes its producer emitted: the boundary input's beats are the input tensor in
//! block order; each node, in netlist (topological) order, takes the beats it accepted
//! on every input (as many as the timing run handshook: a node that did not receive
//! all of them has no data), rebuilds its input tensors from them and steps its
//! component's golden model ([`SystemInstance::node_golden`]) at tensor granularity,
//! then cuts each output tensor into the beats of its output stream. The boundary
//! output's beats, reassembled, are the system's output.
//!
//! Not here: timing. Values never influence a handshake (every component's timing is
//! data-independent), so data mode reads the cycles a timing run recorded and cannot
//! change them; a stream's values are dropped once its consumer has taken them.

use generator::GenError;
use generator::sv::Dir;
use generator::tensor::{Beat, Tensor, from_beats};
use system::SystemInstance;
use system::netlist::Endpoint;

use super::{End, Net};

/// Errors of data mode.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("data mode: the net does not match the system ({0})")]
    Shape(String),
    #[error("data mode: stream {stream}: {got} beats carry values, the timing run moved {moved}")]
    Beats {
        stream: String,
        got: usize,
        moved: usize,
    },
    #[error("data mode: node {node}: {source}")]
    Golden {
        node: String,
        #[source]
        source: Box<GenError>,
    },
}

/// What a data-mode run produced.
pub struct DataRun {
    /// The system output `[N, ..output shape]`, from the beats into `data_out`.
    pub output: Tensor,
    /// Beats that carried values, over all streams.
    pub beats: u64,
}

/// Values of one stream: its beats and the format of their lanes.
struct Carried {
    beats: Vec<Beat>,
    format: golden::Format,
}

/// The values of the finished timing run `net` of `sys` on input `x` (`[N, ..input
/// shape]`): every stream's beats in order, and the output tensor they deliver.
///
/// # Errors
/// A net that was not built from `sys`, a stream whose beats were not all moved, or a
/// node's golden model rejecting what it received.
pub fn run_data(sys: &SystemInstance, net: &Net, x: &Tensor) -> Result<DataRun, DataError> {
    let edges = &sys.net.edges;
    if edges.len() != net.streams.len() || sys.net.nodes.len() != net.nodes.len() {
        return Err(DataError::Shape(format!(
            "{} streams and {} nodes, the system has {} edges and {} nodes",
            net.streams.len(),
            net.nodes.len(),
            edges.len(),
            sys.net.nodes.len()
        )));
    }
    let mut values: Vec<Option<Carried>> = (0..edges.len()).map(|_| None).collect();
    let mut carried = 0u64;
    // Posts `beats` on stream `s`, checking they are the beats the timing run moved.
    let mut post = |values: &mut Vec<Option<Carried>>, s: usize, beats: Vec<Beat>, format| {
        let st = &net.streams[s];
        if beats.len() != st.beats || st.handshakes().len() != st.beats {
            return Err(DataError::Beats {
                stream: st.name.clone(),
                got: beats.len(),
                moved: st.handshakes().len(),
            });
        }
        carried += beats.len() as u64;
        values[s] = Some(Carried { beats, format });
        Ok(())
    };
    for (s, e) in edges.iter().enumerate() {
        if e.from == Endpoint::TopIn {
            let beats = x
                .to_beats("system", "data_in", e.lanes.max(1))
                .map_err(|source| DataError::Golden {
                    node: "data_in".into(),
                    source: Box::new(source),
                })?;
            post(&mut values, s, beats, x.format)?;
        }
    }
    // Takes the beats a consumer accepted on stream `s` as a flat tensor.
    let take = |values: &mut Vec<Option<Carried>>, s: usize| {
        let st = &net.streams[s];
        let c = values[s].take().ok_or_else(|| DataError::Beats {
            stream: st.name.clone(),
            got: 0,
            moved: st.handshakes().len(),
        })?;
        let accepted = &c.beats[..st.handshakes().len().min(c.beats.len())];
        let raw = from_beats(accepted);
        Ok::<Tensor, DataError>(Tensor::new(vec![raw.len()], raw, c.format))
    };
    for (i, node) in sys.net.nodes.iter().enumerate() {
        let ins = node.streams(Dir::Input);
        let cn = &net.nodes[i];
        if ins.len() != cn.ins.len() {
            return Err(DataError::Shape(format!("node {} inputs", node.name)));
        }
        let mut incoming = Vec::with_capacity(ins.len());
        for (def, &s) in ins.iter().zip(&cn.ins) {
            incoming.push((def.name.clone(), take(&mut values, s)?));
        }
        let outs = sys
            .node_golden(i, incoming)
            .map_err(|source| DataError::Golden {
                node: node.name.clone(),
                source: Box::new(source),
            })?;
        let defs = node.streams(Dir::Output);
        for ((_, t), (def, &s)) in outs.into_iter().zip(defs.iter().zip(&cn.outs)) {
            let beats = t
                .to_beats(&node.name, &def.name, def.lanes.max(1))
                .map_err(|source| DataError::Golden {
                    node: node.name.clone(),
                    source: Box::new(source),
                })?;
            post(&mut values, s, beats, t.format)?;
        }
    }
    let out = net
        .streams
        .iter()
        .position(|s| matches!(s.consumer, End::Boundary(_)))
        .ok_or_else(|| DataError::Shape("no boundary output".into()))?;
    let y = take(&mut values, out)?;
    let output = sys.output_tensor(y).map_err(|source| DataError::Golden {
        node: "data_out".into(),
        source: Box::new(source),
    })?;
    Ok(DataRun {
        output,
        beats: carried,
    })
}
