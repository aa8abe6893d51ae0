//! `mase-hw completions SHELL`: shell completion scripts from the command definition
//! (`clap_complete`), printed to standard output.

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// Shell to write the script for.
    pub shell: Shell,
}

/// Prints the completion script for `shell`.
pub fn print<C: CommandFactory>(shell: Shell) {
    let mut cmd = C::command();
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, &mut std::io::stdout());
}
