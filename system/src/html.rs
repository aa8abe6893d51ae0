//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network)
//! describing a generated system directory from the files `gen` wrote: the dataflow
//! graph (`netlist.json`), per-node resources and their share of the design (and of a
//! `budget`, when `report.json` has one), per-node throughput and the bottleneck
//! (`report.json` timing), FIFO depths (and `peak_occupancy` when simulated), accuracy
//! per layer vs float and clipping (per-node `accuracy` / `clipping` fields, when
//! present).
//!
//! Every field is optional except the node list: the page says "not recorded" where a
//! field is missing, so producers can add fields (simulated timing, devices,
//! calibration) without breaking it. A section is one function from the inputs to
//! HTML; adding one is adding a function to [`SECTIONS`]. A node's `device` field
//! colours the graph by device; otherwise nodes are coloured by component.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// The JSON files of a generated directory (missing ones are `Null`).
pub struct Inputs {
    pub report: Value,
    pub netlist: Value,
    pub float: Value,
}

/// One section: id (the DOM id), title, and its body (None: nothing to show).
type Section = fn(&Inputs) -> Option<String>;

/// The sections in page order.
pub const SECTIONS: [(&str, &str, Section); 6] = [
    ("summary", "Summary", summary),
    ("graph", "Dataflow graph", graph),
    ("resources", "Resources per node", resources),
    ("throughput", "Throughput and bottleneck", throughput),
    ("fifos", "FIFO depths", fifos),
    ("accuracy", "Accuracy vs float and clipping", accuracy),
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn nodes(i: &Inputs) -> &[Value] {
    i.report["nodes"].as_array().map_or(&[], Vec::as_slice)
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() >= 1e-3 {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

/// The whole page.
pub fn render(i: &Inputs) -> String {
    let title = i.report["model"].as_str().unwrap_or("design");
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mase-hw report: {}</title>\n<style>{CSS}</style></head><body>\n<h1>mase-hw report: {}</h1>\n<nav>",
        esc(title),
        esc(title)
    );
    for (id, t, _) in SECTIONS {
        let _ = write!(h, "<a href=\"#{id}\">{t}</a> ");
    }
    h.push_str("</nav>\n");
    for (id, t, f) in SECTIONS {
        let body =
            f(i).unwrap_or_else(|| "<p class=\"na\">not recorded for this design</p>".into());
        let _ = write!(h, "<section id=\"{id}\"><h2>{t}</h2>\n{body}</section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

const CSS: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}nav a{margin-right:1em}\
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\
td:first-child,th:first-child{text-align:left}.bar{display:inline-block;height:9px;background:#4a7bd0}\
.hot{background:#fde2e2}.na{color:#888}section{margin-bottom:2em}svg text{font-size:10px}";

fn summary(i: &Inputs) -> Option<String> {
    let r = &i.report;
    let mut rows = Vec::new();
    for (k, label) in [
        ("model", "model"),
        ("top", "top module"),
        ("latency_cycles", "latency (cycles)"),
        ("latency_exact", "latency exact"),
        ("item_interval_cycles", "cycles per item"),
        ("simulated_cycles", "simulated cycles"),
        ("devices", "devices"),
    ] {
        if !r[k].is_null() {
            let v = match &r[k] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            rows.push(format!("<tr><td>{label}</td><td>{}</td></tr>", esc(&v)));
        }
    }
    if let Some(src) = i.float.as_object().and_then(|o| o.keys().next()) {
        rows.push(format!(
            "<tr><td>float weights</td><td>{}</td></tr>",
            esc(src)
        ));
    }
    rows.push(format!(
        "<tr><td>nodes</td><td>{}</td></tr>",
        nodes(i).len()
    ));
    Some(format!("<table>{}</table>", rows.join("")))
}

/// Instance name as `report.json` spells it (`u_` + the netlist's name).
fn inst_name(n: &str) -> String {
    if n.starts_with("u_") {
        n.to_string()
    } else {
        format!("u_{n}")
    }
}

const PALETTE: [&str; 10] = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#d9d9d9", "#bc80bd",
];

fn graph(i: &Inputs) -> Option<String> {
    let nl = i.netlist["nodes"].as_array()?;
    let edges = i.netlist["edges"].as_array().map_or(&[][..], Vec::as_slice);
    let by_name: BTreeMap<String, &Value> = nodes(i)
        .iter()
        .filter_map(|n| Some((n["instance"].as_str()?.to_string(), n)))
        .collect();
    // Layers: longest path from the input, nodes in topological (file) order.
    let mut layer: BTreeMap<String, usize> = BTreeMap::new();
    layer.insert("data_in".into(), 0);
    let names: Vec<String> = nl
        .iter()
        .filter_map(|n| n["instance"].as_str().map(str::to_string))
        .collect();
    for n in &names {
        let l = edges
            .iter()
            .filter(|e| e["to"].as_str() == Some(n))
            .filter_map(|e| layer.get(e["from"].as_str()?).copied())
            .max()
            .map_or(1, |l| l + 1);
        layer.insert(n.clone(), l);
    }
    let last = layer.values().copied().max().unwrap_or(0) + 1;
    layer.insert("data_out".into(), last);
    let mut rows: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    rows.entry(0).or_default().push("data_in".into());
    for n in &names {
        rows.entry(layer[n]).or_default().push(n.clone());
    }
    rows.entry(last).or_default().push("data_out".into());
    let (bw, bh, gx, gy) = (150.0, 26.0, 14.0, 24.0);
    let widest = rows.values().map(Vec::len).max().unwrap_or(1) as f64;
    let width = widest * (bw + gx) + gx;
    let height = (last + 1) as f64 * (bh + gy) + gy;
    let mut pos: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (l, ns) in &rows {
        let off = (width - ns.len() as f64 * (bw + gx)) / 2.0;
        for (k, n) in ns.iter().enumerate() {
            pos.insert(
                n.clone(),
                (
                    off + k as f64 * (bw + gx) + gx / 2.0,
                    gy + *l as f64 * (bh + gy),
                ),
            );
        }
    }
    let mut colour: BTreeMap<String, &str> = BTreeMap::new();
    let key = |n: &Value| -> String {
        match &n["device"] {
            Value::Null => n["component"].as_str().unwrap_or("?").to_string(),
            d => format!("device {d}"),
        }
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\">\n"
    );
    for e in edges {
        let (Some(a), Some(b)) = (
            pos.get(e["from"].as_str().unwrap_or("")),
            pos.get(e["to"].as_str().unwrap_or("")),
        ) else {
            continue;
        };
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#888\"><title>{} lanes {}</title></line>",
            a.0 + bw / 2.0,
            a.1 + bh,
            b.0 + bw / 2.0,
            b.1,
            esc(e["format"].as_str().unwrap_or("")),
            e["lanes"]
        );
    }
    for (n, (x, y)) in &pos {
        let node = by_name.get(&inst_name(n));
        let k = node.map_or_else(|| "port".to_string(), |v| key(v));
        let next = colour.len() % PALETTE.len();
        let c = *colour.entry(k.clone()).or_insert(PALETTE[next]);
        // The end of the name tells nodes of one layer apart; the full name is the tooltip.
        let chars: Vec<char> = n.chars().collect();
        let label: String = if chars.len() > 24 {
            std::iter::once('…')
                .chain(chars[chars.len() - 23..].iter().copied())
                .collect()
        } else {
            n.clone()
        };
        let _ = writeln!(
            s,
            "<g class=\"node\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{bh}\" rx=\"4\" fill=\"{c}\" stroke=\"#555\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text><title>{} ({})</title></g>",
            x + 4.0,
            y + 16.0,
            esc(&label),
            esc(n),
            esc(&k)
        );
    }
    s.push_str("</svg>\n<p>");
    for (k, c) in &colour {
        let _ = write!(
            s,
            "<span style=\"background:{c};padding:0 6px;margin-right:6px\">{}</span>",
            esc(k)
        );
    }
    s.push_str("</p>");
    Some(s)
}

fn resources(i: &Inputs) -> Option<String> {
    let ns = nodes(i);
    let keys = [
        "multipliers",
        "memory_bits",
        "weight_rom_bits",
        "buffer_bits",
        "table_bits",
    ];
    let total = |k: &str| -> f64 { ns.iter().filter_map(|n| num(&n["resources"][k])).sum() };
    let totals: Vec<f64> = keys.iter().map(|k| total(k)).collect();
    let budget = &i.report["budget"];
    let mut h = String::from("<table><tr><th>node</th><th>component</th>");
    for k in keys {
        let _ = write!(h, "<th>{k}</th><th>share</th>");
    }
    h.push_str("</tr>\n");
    for n in ns {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td>",
            esc(n["instance"].as_str().unwrap_or("?")),
            esc(n["component"].as_str().unwrap_or("?"))
        );
        for (k, t) in keys.iter().zip(&totals) {
            match num(&n["resources"][*k]) {
                Some(v) => {
                    let denom = num(&budget[*k]).unwrap_or(*t);
                    let share = if denom > 0.0 { v / denom } else { 0.0 };
                    let _ = write!(
                        h,
                        "<td>{}</td><td><span class=\"bar\" style=\"width:{:.0}px\"></span> {:.1}%</td>",
                        fmt_num(v),
                        (share * 60.0).min(60.0),
                        share * 100.0
                    );
                }
                None => h.push_str("<td></td><td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("<tr><th>total</th><th></th>");
    for t in &totals {
        let _ = write!(h, "<th>{}</th><th></th>", fmt_num(*t));
    }
    h.push_str("</tr></table>");
    h.push_str(if budget.is_null() {
        "<p>Shares are of the design's total (report.json has no device budget).</p>"
    } else {
        "<p>Shares are of the device budget in report.json.</p>"
    });
    Some(h)
}

fn throughput(i: &Inputs) -> Option<String> {
    let ns = nodes(i);
    let ivs: Vec<Option<f64>> = ns
        .iter()
        .map(|n| num(&n["timing"]["item_interval"]))
        .collect();
    let worst = ivs.iter().flatten().copied().fold(0.0f64, f64::max);
    if worst <= 0.0 {
        return None;
    }
    let bottleneck = ns
        .iter()
        .zip(&ivs)
        .find(|(_, v)| **v == Some(worst))
        .and_then(|(n, _)| n["instance"].as_str())
        .unwrap_or("?");
    let mut h = format!(
        "<p>Bottleneck: <b id=\"bottleneck\">{}</b>, {} cycles per item; the design's interval is {} cycles.</p>\n<table><tr><th>node</th><th>cycles per item</th><th>utilisation</th><th>latency</th><th>simulated cycles per item</th></tr>\n",
        esc(bottleneck),
        fmt_num(worst),
        i.report["item_interval_cycles"]
    );
    for (n, iv) in ns.iter().zip(&ivs) {
        let Some(iv) = iv else {
            continue;
        };
        let u = iv / worst;
        let sim = num(&n["simulated"]["item_interval"]).map_or_else(String::new, fmt_num);
        let _ = writeln!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td><span class=\"bar\" style=\"width:{:.0}px\"></span> {:.1}%</td><td>{}</td><td>{sim}</td></tr>",
            if *iv == worst { " class=\"hot\"" } else { "" },
            esc(n["instance"].as_str().unwrap_or("?")),
            fmt_num(*iv),
            u * 80.0,
            u * 100.0,
            n["timing"]["latency"]
        );
    }
    h.push_str("</table>");
    Some(h)
}

fn fifos(i: &Inputs) -> Option<String> {
    let fs = i.report["reconvergent_fifos"].as_array()?;
    let mut h = String::from(
        "<table><tr><th>FIFO</th><th>depth (beats)</th><th>peak occupancy</th><th>why</th></tr>\n",
    );
    for f in fs {
        // `[name, depth, reason]` today; an object with `peak_occupancy` once simulated.
        let (name, depth, why, peak) = match f {
            Value::Array(a) => (a.first(), a.get(1), a.get(2), None),
            Value::Object(_) => (
                Some(&f["name"]),
                Some(&f["depth"]),
                Some(&f["reason"]),
                Some(&f["peak_occupancy"]),
            ),
            _ => continue,
        };
        let txt = |v: Option<&Value>| match v {
            Some(Value::String(s)) => esc(s),
            Some(Value::Null) | None => String::new(),
            Some(o) => o.to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            txt(name),
            txt(depth),
            match peak {
                Some(Value::Null) | None => "not simulated".into(),
                p => txt(p),
            },
            txt(why)
        );
    }
    h.push_str("</table>");
    Some(h)
}

fn accuracy(i: &Inputs) -> Option<String> {
    let ns = nodes(i);
    let with: Vec<&Value> = ns
        .iter()
        .filter(|n| !n["accuracy"].is_null() || !n["clipping"].is_null())
        .collect();
    let overall = &i.report["accuracy"];
    if with.is_empty() && overall.is_null() {
        return None;
    }
    let mut h = String::new();
    if !overall.is_null() {
        let _ = writeln!(
            h,
            "<p>End to end: cosine {}, max abs error {}</p>",
            overall["cosine"], overall["max_abs_error"]
        );
    }
    h.push_str(
        "<table><tr><th>node</th><th>cosine</th><th>max abs error</th><th>clipped</th></tr>\n",
    );
    for n in with {
        let a = &n["accuracy"];
        let c = &n["clipping"];
        let clip = match c {
            Value::Null => String::new(),
            Value::Object(_) => match (num(&c["fraction"]), num(&c["count"])) {
                (Some(f), _) => format!("{:.3}%", f * 100.0),
                (None, Some(k)) => fmt_num(k),
                _ => esc(&c.to_string()),
            },
            other => esc(&other.to_string()),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{clip}</td></tr>",
            esc(n["instance"].as_str().unwrap_or("?")),
            num(&a["cosine"]).map_or_else(String::new, |v| format!("{v:.6}")),
            num(&a["max_abs_error"]).map_or_else(String::new, |v| format!("{v:.3e}"))
        );
    }
    h.push_str("</table>");
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minimal_report_renders_every_section() {
        let i = Inputs {
            report: json!({"nodes": [{"instance": "u_a", "component": "relu"}]}),
            netlist: Value::Null,
            float: Value::Null,
        };
        let h = render(&i);
        for (id, _, _) in SECTIONS {
            assert!(h.contains(&format!("<section id=\"{id}\">")), "{id}");
        }
        assert!(h.contains("not recorded"));
        assert!(
            !h.contains("<script") && !h.contains("https://"),
            "self-contained"
        );
    }

    #[test]
    fn optional_fields_are_shown_when_present() {
        let i = Inputs {
            report: json!({
            "model": "m", "item_interval_cycles": 8,
            "budget": {"multipliers": 100},
            "accuracy": {"cosine": 0.99, "max_abs_error": 0.01},
            "reconvergent_fifos": [{"name": "u_f", "depth": 9, "reason": "r", "peak_occupancy": 7}],
            "nodes": [
                {"instance": "u_a", "component": "linear", "device": 1,
                 "resources": {"multipliers": 25}, "timing": {"item_interval": 8, "latency": 3},
                 "accuracy": {"cosine": 0.5, "max_abs_error": 0.25}, "clipping": {"fraction": 0.125}},
                {"instance": "u_b", "component": "relu", "resources": {"multipliers": 0},
                 "timing": {"item_interval": 2, "latency": 1}}
            ]}),
            netlist: json!({"nodes": [{"instance": "a"}, {"instance": "b"}],
                "edges": [{"from": "data_in", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "data_out"}]}),
            float: json!({"synthetic": {}}),
        };
        let h = render(&i);
        assert!(
            h.contains("25</td><td><span class=\"bar\" style=\"width:15px\"></span> 25.0%"),
            "share of the budget"
        );
        assert!(h.contains("<b id=\"bottleneck\">u_a</b>"));
        assert!(h.contains("device 1"), "coloured by device");
        assert!(h.contains("<td>7</td>"), "peak occupancy");
        assert!(h.contains("12.500%"), "clipping");
        assert!(h.contains("0.500000"), "per-node cosine");
        assert_eq!(h.matches("<rect").count(), 4, "two nodes and two ports");
    }
}
