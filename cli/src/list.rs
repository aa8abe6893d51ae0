//! `mase-hw components [NAME]`: every component with its parameters, ranges and
//! defaults.

use anyhow::Result;

use crate::common::select;

#[derive(clap::Args)]
pub struct ComponentsArgs {
    /// Only this component.
    name: Option<String>,
}

pub fn run(a: ComponentsArgs) -> Result<()> {
    let list = select(a.name.as_slice())?;
    for c in list {
        println!("{:<12} {}", c.name(), c.summary());
        for s in c.params() {
            println!(
                "    {:<18} default {:<8} {}; {}",
                s.name,
                s.display_value(s.default),
                s.doc,
                s.rule()
            );
        }
        println!();
    }
    Ok(())
}
