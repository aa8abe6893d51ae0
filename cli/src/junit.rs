//! JUnit XML results of a regression, the format cocotb writes to `results.xml`
//! (`COCOTB_RESULTS_FILE`), so CI dashboards that read cocotb results read ours: one
//! `testsuite` per component, one `testcase` per configuration, a `failure` element
//! per failed check. Deterministic: no timestamps, configurations in regression order.

use std::fmt::Write as _;
use std::path::Path;

use testbenches::regress::ConfigReport;

/// XML text escaping for attribute values.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\n' => o.push_str("&#10;"),
            c if (c as u32) < 0x20 => {}
            c => o.push(c),
        }
    }
    o
}

/// The JUnit document of `reports` run on `simulator`.
pub fn render(reports: &[ConfigReport], simulator: &str) -> String {
    let mut comps: Vec<&str> = Vec::new();
    for r in reports {
        if !comps.contains(&r.component) {
            comps.push(r.component);
        }
    }
    let mut s =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"results\">\n");
    for c in comps {
        let rs: Vec<&ConfigReport> = reports.iter().filter(|r| r.component == c).collect();
        let failed = rs.iter().filter(|r| !r.failures.is_empty()).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" package=\"{}\" tests=\"{}\" failures=\"{failed}\">",
            esc(c),
            esc(simulator),
            rs.len()
        );
        for r in rs {
            let _ = write!(
                s,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\" vectors=\"{}\" beats=\"{}\" params=\"{}\" seed=\"{}\"",
                esc(&r.label),
                esc(c),
                r.build_secs + r.sim_secs,
                r.vectors,
                r.beats,
                esc(&r.params.join(" ")),
                r.seed
            );
            if r.failures.is_empty() {
                s.push_str("/>\n");
            } else {
                s.push_str(">\n");
                for f in &r.failures {
                    let _ = writeln!(s, "      <failure message=\"{}\"/>", esc(f));
                }
                s.push_str("    </testcase>\n");
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

/// Writes [`render`] to `path`.
pub fn write(path: &Path, reports: &[ConfigReport], simulator: &str) -> std::io::Result<()> {
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, render(reports, simulator))
}
