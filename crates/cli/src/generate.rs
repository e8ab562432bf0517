//! `llm-health completions` and `llm-health generate-man`: shell completions and man pages made
//! from the same clap definitions that parse the command line, so they cannot drift from it.

use crate::Cli;
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

/// The manual the pages belong to, in their header.
const MANUAL: &str = "LLM Health Monitor";

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    // clap_complete offers hidden subcommands like any other (clap-rs/clap#1335), and a Command
    // cannot drop one: the root is put together again from Cli's arguments and its visible
    // subcommands.
    let cli = Cli::command();
    let mut cmd = clap::Command::new(env!("CARGO_BIN_NAME"))
        .version(env!("CARGO_PKG_VERSION"))
        .args(cli.get_arguments().cloned())
        .subcommands(
            cli.get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        );
    // Into memory first: clap_complete panics on a write error, and `| head` is one.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, env!("CARGO_BIN_NAME"), &mut script);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e).context("writing the completion script"),
    }
}

/// Writes `llm-health.1` and a page per visible subcommand (`llm-health-check.1`,
/// `llm-health-config-validate.1`, …) into `dir`, creating it.
pub fn man_pages(dir: &Path) -> anyhow::Result<u8> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Without the help subcommand, which has no page of its own; built, so that subcommands
    // know their full names (`llm-health-check`).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let source = format!("{} {}", cmd.get_name(), env!("CARGO_PKG_VERSION"));
    // The binary's build date (SOURCE_DATE_EPOCH's when set): never empty, as clap_mangen would
    // then drop it from the title line and shift the fields after it.
    write_pages(&cmd, dir, &source, build_info::BUILD_DATE)?;
    Ok(0)
}

fn write_pages(cmd: &clap::Command, dir: &Path, source: &str, date: &str) -> anyhow::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(source)
        .manual(MANUAL)
        .date(date);
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        write_pages(sub, dir, source, date)?;
    }
    Ok(())
}
