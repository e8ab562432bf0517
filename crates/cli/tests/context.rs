//! Issue 16's context in `check --json`, from the real binary against fakes of the documented
//! APIs: a status page's incident on a healthy target, credits (low is degraded, exhausted is
//! quota), a vLLM server's load, llama.cpp loading (degraded, not down), several models per
//! target (a retired one is `not_found`, named).

mod common;

use common::{llm_health, text};
use fake_llm::{FakeIncident, FakeServer, Flavor};
use serde_json::Value;
use tempfile::TempDir;

const KEY: &str = "sk-proj-CliContextKey0123456789abcdefXYZ";

async fn check_json(config: &str) -> (Option<i32>, Vec<Value>) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, format!("[defaults]\ntimeout = \"3s\"\n\n{config}")).unwrap();
    let out = llm_health(dir.path())
        .args(["check", "--json", "--config"])
        .arg(&path)
        .env("K", KEY)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "the key leaked"
    );
    let list = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code(), list)
}

fn by_id<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter()
        .find(|o| o["target"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list:?}"))
}

#[tokio::test]
async fn check_json_carries_provider_status_credits_and_server_load() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(KEY));
    let page = FakeServer::start(Flavor::Statuspage).await.unwrap();
    let started = chrono::Utc::now() - chrono::Duration::minutes(12);
    page.set_incidents(&[FakeIncident {
        id: "inc42".into(),
        name: "Elevated error rates".into(),
        status: "investigating".into(),
        impact: "minor".into(),
        started_at: started,
        component_ids: vec!["k8w3r06qmzrp".into()],
    }]);
    let openrouter = FakeServer::start(Flavor::Openrouter).await.unwrap();
    openrouter.set_api_key(Some(KEY));
    openrouter.set_credits(Some(10.0), Some(2.1), 7.9);
    let deepseek = FakeServer::start(Flavor::Deepseek).await.unwrap();
    deepseek.set_api_key(Some(KEY));
    deepseek.set_balance(false, &[("USD", 0.0)]);
    let vllm = FakeServer::start(Flavor::Vllm).await.unwrap();
    vllm.set_server_load(3, 1, 0.42);
    let llamacpp = FakeServer::start(Flavor::Llamacpp).await.unwrap();
    llamacpp.set_loading(true);

    let config = format!(
        r#"[[targets]]
id = "openai"
kind = "openai"
base_url = "{openai}"
api_key_env = "K"
status_page = "{page}"
status_component = "Claude API"
models = ["gpt-4o-mini", "gpt-retired-0301"]

[[targets]]
id = "or"
kind = "openai_compatible"
preset = "openrouter"
base_url = "{openrouter}"
api_key_env = "K"
status_page = ""
min_credits = 5.0

[[targets]]
id = "ds"
kind = "openai_compatible"
preset = "deepseek"
base_url = "{deepseek}"
api_key_env = "K"
status_page = ""

[[targets]]
id = "vllm"
kind = "vllm"
base_url = "{vllm}"

[[targets]]
id = "llama"
kind = "llamacpp"
base_url = "{llamacpp}"
"#,
        openai = openai.base_url(),
        page = page.url(),
        openrouter = openrouter.base_url(),
        deepseek = deepseek.base_url(),
        vllm = vllm.base_url(),
        llamacpp = llamacpp.base_url(),
    );
    let (code, list) = check_json(&config).await;
    assert_eq!(code, Some(1), "ds is down (quota): {list:?}");

    // The retired model is named; the page's incident is context only.
    let o = by_id(&list, "openai");
    assert_eq!(o["class"], "not_found", "{o}");
    assert!(
        o["message"].as_str().unwrap().contains("gpt-retired-0301"),
        "{o}"
    );
    let s = &o["details"]["provider_status"];
    assert_eq!(s["component"], "Claude API", "{o}");
    assert_ne!(s["component_status"], "unknown");
    assert_ne!(s["indicator"], "none");
    assert!(s["description"].is_string(), "{s}");
    let incident = &s["incidents"][0];
    assert_eq!(incident["name"], "Elevated error rates");
    assert_eq!(incident["impact"], "minor");
    assert_eq!(incident["status"], "investigating");
    assert!(incident["url"].is_string(), "{incident}");
    let at: chrono::DateTime<chrono::Utc> =
        incident["started_at"].as_str().unwrap().parse().unwrap();
    assert!((at - started).num_seconds().abs() <= 1, "{incident}");

    let or = by_id(&list, "or");
    assert_eq!(
        (&or["status"], &or["class"]),
        (&"degraded".into(), &"credits_low".into()),
        "{or}"
    );
    assert!(
        or["message"]
            .as_str()
            .unwrap()
            .contains("credits low: 2.10 USD left"),
        "{or}"
    );
    let credits = &or["details"]["credits"];
    assert_eq!(
        (credits["remaining"].as_f64(), credits["limit"].as_f64()),
        (Some(2.1), Some(10.0))
    );
    assert_eq!(credits["unit"], "USD");
    assert!(
        or["details"].get("provider_status").is_none(),
        "switched off: {or}"
    );

    let ds = by_id(&list, "ds");
    assert_eq!(
        (&ds["status"], &ds["class"]),
        (&"unhealthy".into(), &"quota".into()),
        "{ds}"
    );

    let v = by_id(&list, "vllm");
    assert_eq!(v["status"], "healthy", "{v}");
    let load = &v["details"]["server_load"];
    assert_eq!(
        (load["running"].as_u64(), load["waiting"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(load["kv_cache_used"].as_f64(), Some(0.42));

    let l = by_id(&list, "llama");
    assert_eq!(
        (&l["status"], &l["class"]),
        (&"degraded".into(), &"loading".into()),
        "{l}"
    );
    assert!(l["details"].get("credits").is_none() && l["details"].get("server_load").is_none());

    // The table says the same in words, the page's context last.
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, &config).unwrap();
    let out = llm_health(dir.path())
        .args(["check", "--config"])
        .arg(&path)
        .env("K", KEY)
        .env("COLUMNS", "400")
        .output()
        .await
        .unwrap();
    let (table, _) = text(&out);
    for words in [
        "reports: Elevated error rates — investigating",
        "3 running, 1 waiting, KV cache 42 %",
        "2.10 USD left of 10.00",
        "gpt-retired-0301",
    ] {
        assert!(table.contains(words), "{words:?} not in\n{table}");
    }

    // Ready: healthy.
    llamacpp.set_loading(false);
    let (_, list) = check_json(&config).await;
    assert_eq!(by_id(&list, "llama")["status"], "healthy");
    assert_eq!(
        vllm.model_loads().len() + llamacpp.model_loads().len(),
        0,
        "no probe loads a model"
    );
}
