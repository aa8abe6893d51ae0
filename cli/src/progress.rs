//! Progress bars (`indicatif`) for long work on a terminal; nothing when standard
//! error is not a terminal or under `CI=true`, so logs and pipes stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `total` steps labelled `what`, or `None` when output is not interactive.
pub fn bar(total: u64, what: &str) -> Option<ProgressBar> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if ci || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    pb.set_style(style);
    pb.set_prefix(what.to_string());
    Some(pb)
}

/// Prints a line above the bar (or plainly without one).
pub fn println(pb: Option<&ProgressBar>, line: &str) {
    match pb {
        Some(p) => p.println(line),
        None => println!("{line}"),
    }
}
