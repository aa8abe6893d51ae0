//! The one table `mase-hw bench all` prints: rows of measured figures grouped by what
//! they compare, rendered as aligned plain text for the terminal and as a Markdown
//! table for `BENCHMARKS.md`, with a short description of the machine they ran on. It
//! measures nothing itself and never reads the clock: rows come in measured, and the
//! same rows always render to the same text.

use std::fmt::Write as _;

/// One measured figure: `value` (already formatted) in `unit`, with a note on how it
/// was measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub group: String,
    pub what: String,
    pub value: String,
    pub unit: String,
    pub note: String,
}

/// A titled list of rows and the machine they were measured on.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub title: String,
    pub machine: Vec<String>,
    pub rows: Vec<Row>,
}

/// `x` with `digits` significant digits (no exponent below 10^7), or `-` when it is not
/// a finite number.
pub fn sig(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i64;
    if mag >= 7 {
        return format!("{:.*e}", digits.saturating_sub(1), x);
    }
    let decimals = (digits as i64 - 1 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

impl Table {
    pub fn new(title: impl Into<String>) -> Table {
        Table {
            title: title.into(),
            ..Table::default()
        }
    }

    /// Appends a row.
    pub fn push(
        &mut self,
        group: &str,
        what: impl Into<String>,
        value: String,
        unit: &str,
        note: impl Into<String>,
    ) {
        self.rows.push(Row {
            group: group.into(),
            what: what.into(),
            value,
            unit: unit.into(),
            note: note.into(),
        });
    }

    /// Aligned columns; a group's name is printed on its first row only, and the value
    /// column is right-aligned.
    pub fn text(&self) -> String {
        let width = |f: fn(&Row) -> &str, head: &str| {
            self.rows
                .iter()
                .map(|r| f(r).chars().count())
                .chain([head.chars().count()])
                .max()
                .unwrap_or(0)
        };
        let wg = width(|r| &r.group, "group");
        let ww = width(|r| &r.what, "measurement");
        let wv = width(|r| &r.value, "value");
        let wu = width(|r| &r.unit, "unit");
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.title);
        for m in &self.machine {
            let _ = writeln!(s, "  {m}");
        }
        let line = |s: &mut String, g: &str, w: &str, v: &str, u: &str, n: &str| {
            let row = format!("{g:<wg$}  {w:<ww$}  {v:>wv$}  {u:<wu$}  {n}");
            let _ = writeln!(s, "{}", row.trim_end());
        };
        line(&mut s, "group", "measurement", "value", "unit", "note");
        let _ = writeln!(s, "{}", "-".repeat(wg + ww + wv + wu + 8 + 4));
        let mut last = None;
        for r in &self.rows {
            let g = if last == Some(&r.group) { "" } else { &r.group };
            line(&mut s, g, &r.what, &r.value, &r.unit, &r.note);
            last = Some(&r.group);
        }
        s
    }

    /// A Markdown table (pipes in cells escaped), preceded by the machine as a list.
    pub fn markdown(&self) -> String {
        let cell = |t: &str| t.replace('|', "\\|");
        let mut s = String::new();
        for m in &self.machine {
            let _ = writeln!(s, "- {}", cell(m));
        }
        if !self.machine.is_empty() {
            s.push('\n');
        }
        s.push_str("| group | measurement | value | unit | note |\n");
        s.push_str("| --- | --- | ---: | --- | --- |\n");
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                cell(&r.group),
                cell(&r.what),
                cell(&r.value),
                cell(&r.unit),
                cell(&r.note)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("bench all");
        t.machine.push("2 cores".into());
        t.push(
            "cosim",
            "Rust",
            sig(1234567.8, 3),
            "cycles/s",
            "median of 5",
        );
        t.push("cosim", "C++ | loop", sig(0.5, 3), "x", "");
        t.push("gen", "bert-base", sig(f64::NAN, 3), "s", "skipped");
        t
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(1234567.8, 3), "1234568");
        assert_eq!(sig(12.345, 3), "12.3");
        assert_eq!(sig(0.012345, 2), "0.012");
        assert_eq!(sig(-3.0, 2), "-3.0");
        assert_eq!(sig(0.0, 3), "0");
        assert_eq!(sig(2.5e9, 3), "2.50e9");
        assert_eq!(sig(f64::INFINITY, 3), "-");
    }

    #[test]
    fn text_aligns_columns_and_prints_each_group_once() {
        let text = sample().text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "bench all");
        assert_eq!(lines[1], "  2 cores");
        assert_eq!(lines[2], "group  measurement    value  unit      note");
        assert!(lines[3].chars().all(|c| c == '-'));
        assert_eq!(
            lines[4],
            "cosim  Rust         1234568  cycles/s  median of 5"
        );
        // The group is not repeated; values are right-aligned; no trailing blanks.
        assert_eq!(lines[5], "       C++ | loop     0.500  x");
        assert_eq!(lines[6], "gen    bert-base          -  s         skipped");
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn markdown_has_one_row_per_figure_and_escapes_pipes() {
        let md = sample().markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "- 2 cores");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], "| group | measurement | value | unit | note |");
        assert_eq!(lines[3], "| --- | --- | ---: | --- | --- |");
        assert_eq!(
            lines[4],
            "| cosim | Rust | 1234568 | cycles/s | median of 5 |"
        );
        assert_eq!(lines[5], "| cosim | C++ \\| loop | 0.500 | x |  |");
        assert_eq!(lines[6], "| gen | bert-base | - | s | skipped |");
        assert_eq!(lines.len(), 7);
    }
}
