//! What every test of the real binary shares: the binary with nothing of the user's, its output
//! as text, a run on a given history file.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::process::Output;
use tokio::process::Command;

/// The binary with a clean environment: no real keys, no real config, nothing of the user's.
pub fn llm_health(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_llm-health"));
    cmd.env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("OLLAMA_HOST", "127.0.0.1:9") // nothing listens on the discard port
        .kill_on_drop(true);
    cmd
}

/// Standard output and standard error.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `llm-health <args> --db <db>`, run to its end.
pub async fn on_db(home: &Path, args: &[&str], db: &Path) -> Output {
    llm_health(home)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .await
        .expect("run llm-health")
}
