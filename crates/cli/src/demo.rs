//! `llm-health demo`: the real engine, store and display against built-in fake servers, with a
//! scripted outage, so a newcomer sees detection of failure, hysteresis and recovery in a minute.

use controller::{CoreError, KeyStore};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::{ConfigFile, Target};
use monitor::probe::KeySource;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The fakes' key. Demo only: it protects nothing.
const DEMO_KEY: &str = "demo-key-not-secret";

struct DemoKeys;

impl KeySource for DemoKeys {
    fn key_for(&self, _target: &Target) -> Option<String> {
        Some(DEMO_KEY.to_string())
    }
}

/// The demo's keys, as the core asks for them; there is nothing to store.
struct DemoKeyStore;

impl KeyStore for DemoKeyStore {
    fn source(&self) -> Arc<dyn KeySource> {
        Arc::new(DemoKeys)
    }
    fn load(&self, _targets: &[Target]) {}
    fn set(&self, _target: &str, _key: &str) -> Result<(), CoreError> {
        Err(CoreError::Keyring("the demo's keys are fixed".into()))
    }
    fn delete(&self, _target: &str) -> Result<(), CoreError> {
        Err(CoreError::Keyring("the demo's keys are fixed".into()))
    }
    fn has_stored(&self, _target: &str) -> bool {
        true
    }
    fn secret(&self, _name: &str) -> Option<String> {
        None
    }
}

pub async fn run(duration: Duration, db: Option<PathBuf>, plain: bool) -> anyhow::Result<u8> {
    let ollama = FakeServer::start(Flavor::Ollama).await?;
    ollama.load_model("llama3.2:latest");
    let lmstudio = FakeServer::start(Flavor::Lmstudio).await?;
    let openai = FakeServer::start(Flavor::Openai).await?;
    openai.set_api_key(Some(DEMO_KEY));
    let anthropic = FakeServer::start(Flavor::Anthropic).await?;
    anthropic.set_api_key(Some(DEMO_KEY));

    let text = format!(
        r#"
[defaults]
interval = "1s"
timeout = "2s"
slow_ms = 800
failure_threshold = 2
success_threshold = 2
backoff_max = "4s"

[[targets]]
id = "ollama"
name = "Ollama (fake)"
kind = "ollama"
base_url = "{ollama}"
probe = "inference"
model = "llama3.2"

[[targets]]
id = "lmstudio"
name = "LM Studio (fake)"
kind = "lmstudio"
base_url = "{lmstudio}"

[[targets]]
id = "openai"
name = "OpenAI (fake)"
kind = "openai"
base_url = "{openai}"
probe = "inference"
model = "gpt-4o-mini"

[[targets]]
id = "anthropic"
name = "Anthropic (fake)"
kind = "anthropic"
base_url = "{anthropic}"
"#,
        ollama = ollama.base_url(),
        lmstudio = lmstudio.base_url(),
        openai = openai.base_url(),
        anthropic = anthropic.base_url(),
    );
    let (config, _) = ConfigFile::parse_checked(&text, "demo")?;
    let db = db.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("llm-health-demo-{}.db", std::process::id()))
    });

    // The script, in fractions of the run: an OpenAI outage, an Anthropic rate limit, LM Studio
    // going away and coming back.
    let script = {
        let at = move |f: f64| duration.mul_f64(f);
        async move {
            let steps: Vec<(Duration, Box<dyn FnOnce() + Send>)> = vec![
                (at(0.15), Box::new(|| openai.set_fault(Fault::Status(503)))),
                (at(0.40), Box::new(|| openai.clear_faults())),
                (
                    at(0.45),
                    Box::new(|| {
                        anthropic.set_fault(Fault::RateLimited {
                            retry_after_secs: 1,
                        })
                    }),
                ),
                (at(0.60), Box::new(|| anthropic.clear_faults())),
                (at(0.62), Box::new(|| lmstudio.set_fault(Fault::Drop))),
                (at(0.82), Box::new(|| lmstudio.clear_faults())),
            ];
            let start = tokio::time::Instant::now();
            for (when, step) in steps {
                tokio::time::sleep_until(start + when).await;
                step();
            }
            std::future::pending::<()>().await;
        }
    };
    let session = crate::watch::session(
        config,
        Some(Arc::new(DemoKeyStore)),
        &db,
        "demo (fake servers)",
        plain,
        Some(duration),
    );
    let code = tokio::select! {
        result = session => result?,
        _ = script => 0,
    };
    println!(
        "\nSee what was recorded:\n  llm-health history --db {} --target openai --range 1h",
        db.display()
    );
    Ok(code)
}
