//! The CLI's error classes and how they map to exit codes: [`user`] wraps bad input
//! (exit 2), [`CheckFailed`] a check that ran and failed (exit 1), and [`tool_failed`]
//! recognises a missing or failing simulator (exit 3). [`message`] prints an error and
//! its causes on one line.

use anyhow::anyhow;

/// An error caused by the user's input (exit code 2).
#[derive(Debug)]
struct UserError(String);
impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UserError {}

/// Bad input: the message names the field and the rule.
pub fn user<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!(UserError(e.to_string()))
}

/// A check that ran and failed (exit code 1).
#[derive(Debug)]
pub struct CheckFailed(pub String);
impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for CheckFailed {}

/// The exit code of a failed command: 1 a check failed, 3 a tool failed, 2 bad input.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<CheckFailed>().is_some() {
        1
    } else if tool_failed(e) {
        3
    } else {
        2
    }
}

/// The error and its causes on one line, each cause once: library errors that print
/// their source (`{path}: {source}`) also return it as their cause.
pub fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

/// Whether `e` comes from a tool rather than from the input: Verilator missing, or a
/// Verilator build or model load that failed (exit code 3).
fn tool_failed(e: &anyhow::Error) -> bool {
    use testbenches::cosim::CosimError;
    e.chain().any(|c| {
        c.is::<sim::SimError>()
            || matches!(c.downcast_ref::<CosimError>(), Some(CosimError::Sim(_)))
    })
}

/// Prints failures (if any) and turns them into a failed check.
pub fn report_failures(failures: &[&String], hint: &str) -> anyhow::Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    println!("\nfailures:");
    for f in failures {
        println!("  {f}");
    }
    Err(anyhow!(CheckFailed(format!(
        "{} failure(s); {hint}",
        failures.len()
    ))))
}
