//! `llm-health-monitor --generate-man DIR`: the app's man page, made from the clap definitions
//! that parse its arguments, for packaging. It runs before the app starts: no display needed.

use crate::Args;
use clap::CommandFactory;
use std::path::Path;

/// Writes `llm-health-monitor.1` into `dir` (creating it); the process's exit status.
pub fn generate(dir: &Path) -> i32 {
    match write(dir) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("llm-health-monitor: {err:#}");
            1
        }
    }
}

fn write(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let cmd = Args::command();
    let source = format!("{} {}", cmd.get_name(), env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd)
        .source(source)
        .manual(desktop_core::APP_NAME)
        // As `llm-health generate-man` dates its pages: the build date, never empty.
        .date(build_info::BUILD_DATE);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))
}
