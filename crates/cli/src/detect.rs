//! `llm-health detect`: what would be watched with no config, and optionally that as a file.

use crate::check::terminal_width;
use crate::paths::UsageError;
use crate::render::table;
use monitor::config::ConfigFile;
use monitor::detect::{config_from, detect};
use monitor::probe::Prober;
use serde_json::json;
use std::path::PathBuf;

pub async fn run(write: Option<PathBuf>, as_json: bool) -> anyhow::Result<u8> {
    if let Some(path) = &write {
        if path.exists() {
            return Err(UsageError(format!(
                "{} exists; not overwriting it (remove it or choose another path)",
                path.display()
            ))
            .into());
        }
    }
    let prober = Prober::with_env_keys()?;
    let env = |k: &str| std::env::var(k).ok();
    let found = detect(&prober, &env).await;
    if as_json {
        let list: Vec<_> = found
            .iter()
            .map(|d| {
                json!({
                    "target": d.target.id,
                    "kind": d.target.kind,
                    "preset": d.target.preset,
                    "base_url": d.target.base_url.as_str(),
                    "api_key_env": d.target.api_key_env,
                    "found": d.found,
                    "note": d.note,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|d| {
                vec![
                    d.target.id.clone(),
                    d.target.kind.to_string(),
                    if d.found { "yes".into() } else { "no".into() },
                    d.note.clone(),
                ]
            })
            .collect();
        print!(
            "{}",
            table(
                &["TARGET", "KIND", "FOUND", "NOTE"],
                &rows,
                terminal_width()
            )
        );
    }
    if let Some(path) = write {
        let config = config_from(&found);
        let text = ConfigFile::from(&config).to_toml()?;
        // Atomically, like every file of the user's: a crash never leaves half a config.
        controller::toml_file::write_atomically(
            &path,
            format!(
                "# Written by `llm-health detect`. Keys stay in environment variables.\n\n{text}"
            )
            .as_bytes(),
        )?;
        eprintln!(
            "wrote {} targets to {}",
            config.targets.len(),
            path.display()
        );
    }
    Ok(0)
}
