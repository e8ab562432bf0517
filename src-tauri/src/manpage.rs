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
        .date(page_date());
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))
}

/// The page's date, as `llm-health generate-man` dates its pages: SOURCE_DATE_EPOCH's, for
/// reproducible builds, else today's. It cannot be empty: clap_mangen then drops it from the
/// title line, which shifts the fields after it.
fn page_date() -> String {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|secs| secs.trim().parse().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now)
        .format("%Y-%m-%d")
        .to_string()
}
