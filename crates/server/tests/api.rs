//! The commands of API.md over HTTP, and the rules every request passes (token, Host, Origin,
//! JSON bodies).

mod common;

use common::*;
use controller::CommandName as N;
use fake_llm::{FakeServer, Fault, Flavor};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const KEY: &str = "sk-proj-ServerTestKey0123456789abcdefXYZ";
const WRONG_KEY: &str = "sk-proj-WrongServerKey9876543210zyxwvuABC";

async fn openai_fake() -> FakeServer {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some(KEY));
    fake
}

/// One OpenAI target "openai" whose key is in the environment variable `env` (unique per test:
/// tests share the process environment).
async fn one_target(env: &str) -> (FakeServer, TestServer) {
    std::env::set_var(env, KEY);
    let fake = openai_fake().await;
    let server = TestServer::start(Some(&quick_config(&openai_target(
        "openai",
        &fake.base_url(),
        env,
    ))))
    .await;
    (fake, server)
}

fn error_of(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body}"))
}

#[tokio::test]
async fn get_state_has_the_configured_targets_and_no_offers() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_STATE").await;
    let state = server
        .wait_state(Duration::from_secs(5), |s| {
            s["snapshot"]["targets"][0]["status"] == "healthy"
        })
        .await;
    let t = &state["snapshot"]["targets"][0];
    assert_eq!(t["id"], "openai");
    assert_eq!(t["kind"], "openai");
    assert_eq!(t["enabled"], true);
    for key in [
        "since",
        "score",
        "consecutive_failures",
        "checking",
        "next_check_at",
        "last",
    ] {
        assert!(t.get(key).is_some(), "{key} in {t}");
    }
    assert_eq!(state["snapshot"]["overall"], "healthy");
    assert_eq!(state["offers"], Value::Null);
    assert_eq!(state["notifications_paused_until"], Value::Null);
    assert_eq!(
        state["config_source"],
        server.config.display().to_string().as_str()
    );
    assert!(state["data_dir"].as_str().unwrap().ends_with("data"));
    // POST works for reads too, without a token.
    let r = server
        .client
        .post(server.url(&format!("/api/{}", N::GetState)))
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn commands_that_change_state_need_the_token() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_TOKEN").await;
    let send = |auth: Option<&str>| {
        let mut req = server
            .client
            .post(server.url(&format!("/api/{}", N::CheckNow)))
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"target": null}"#);
        if let Some(auth) = auth {
            req = req.header(AUTHORIZATION, auth);
        }
        req.send()
    };
    for auth in [None, Some("Bearer wrong"), Some(TOKEN)] {
        let r = send(auth).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: Value = r.json().await.unwrap();
        assert!(error_of(&body).contains("access token"), "{body}");
    }
    let r = send(Some(&format!("Bearer {TOKEN}"))).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), Value::Null);
    // A target that is not there is named.
    let r = server.call(N::CheckNow, json!({"target": "nope"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

/// Access is decided on the name that runs: a percent-encoded spelling of a command is that
/// command, token and all, and a name that is no command runs nothing.
#[tokio::test]
async fn a_command_spelt_another_way_still_needs_the_token() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_SPELT").await;
    let before = std::fs::read_to_string(&server.config).unwrap();
    for path in [
        "/api/import%5Ftoml",
        "/api/import%5ftoml",
        "/api/%69mport_toml",
    ] {
        let r = server
            .client
            .post(server.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"textToml": ""}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    for path in [
        &format!("/api/{}%00", N::ImportToml),
        &format!("/api/{}%20", N::ImportToml),
        "/api/Import_Toml",
    ] {
        let r = server
            .client
            .post(server.url(path))
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(r#"{"textToml": ""}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(std::fs::read_to_string(&server.config).unwrap(), before);
    server.stop().await;
}

/// `GET /api/openapi.json` describes every command the core has.
#[tokio::test]
async fn the_openapi_document_has_every_command() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_OPENAPI").await;
    let doc = server.json("/api/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    for name in controller::CommandName::all() {
        let path = &doc["paths"][format!("/api/{name}")];
        assert!(path["post"].is_object(), "{name}");
        let needs_token = path["post"]["security"].is_array();
        assert_eq!(
            needs_token,
            name.access() == controller::Access::Change,
            "{name}"
        );
    }
    assert!(doc["components"]["schemas"]["StateView"].is_object());
    server.stop().await;
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_refused() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_HOST").await;
    let get = |headers: &[(reqwest::header::HeaderName, &str)]| {
        let mut req = server
            .client
            .get(server.url(&format!("/api/{}", N::GetState)));
        for (k, v) in headers {
            req = req.header(k, *v);
        }
        req.send()
    };
    let r = get(&[(HOST, "evil.example")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert!(error_of(&body).contains("--allow-host"), "{body}");
    let r = get(&[(HOST, &format!("evil.example:{}", server.addr.port()))])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for host in [
        format!("localhost:{}", server.addr.port()),
        format!("127.0.0.1:{}", server.addr.port()),
    ] {
        assert_eq!(
            get(&[(HOST, &host)]).await.unwrap().status(),
            StatusCode::OK
        );
    }

    let r = get(&[(ORIGIN, "http://evil.example")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = get(&[(ORIGIN, "null")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = format!("http://localhost:{}", server.addr.port());
    assert_eq!(
        get(&[(ORIGIN, &own)]).await.unwrap().status(),
        StatusCode::OK
    );
    // The same rules cover the metrics and the files.
    let r = server
        .client
        .get(server.url("/metrics"))
        .header(HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.stop().await;

    // A name given with --allow-host is accepted, with or without the port.
    let server = TestServer::start_with(None, |o| o.allow_hosts = vec!["monitor.lan".into()]).await;
    for host in [
        "monitor.lan",
        &format!("monitor.lan:{}", server.addr.port()),
    ] {
        let r = server
            .client
            .get(server.url(&format!("/api/{}", N::GetState)))
            .header(HOST, host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{host}");
    }
    server.stop().await;
}

#[tokio::test]
async fn post_bodies_must_be_json() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_JSON").await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut req = server
            .client
            .post(server.url(&format!("/api/{}", N::CheckNow)))
            .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body("target=openai");
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let r = req.send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let body: Value = r.json().await.unwrap();
        assert!(error_of(&body).contains("application/json"), "{body}");
    }
    let r = server
        .client
        .post(server.url(&format!("/api/{}", N::CheckNow)))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "no body is no arguments");
    server.stop().await;
}

#[tokio::test]
async fn unknown_wrong_way_and_app_only_commands_say_so() {
    let (_fake, server) = one_target("SERVER_TEST_KEY_UNKNOWN").await;
    let r = server
        .client
        .post(server.url("/api/launch_rockets"))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = server.get(&format!("/api/{}", N::CheckNow)).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = r.json().await.unwrap();
    assert!(error_of(&body).contains("POST"), "{body}");
    let r = server
        .call(N::SetApiKey, json!({"target": "openai", "key": KEY}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("desktop app") && !text.contains(KEY),
        "{text}"
    );
    let r = server.call(N::RemoveTarget, json!({"id": "ghost"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = server
        .call(N::SetTargetEnabled, json!({"id": "openai"}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(error_of(&body).contains("enabled"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn import_and_save_write_the_file_and_the_engine_follows() {
    let (fake, server) = one_target("SERVER_TEST_KEY_SAVE").await;
    std::env::set_var("SERVER_TEST_KEY_SAVE_2", KEY);
    let second = openai_fake().await;
    let mut events = server.events().await;
    assert_eq!(events.next().await.unwrap().event, "state");

    let text = quick_config(&format!(
        "{}{}",
        openai_target("openai", &fake.base_url(), "SERVER_TEST_KEY_SAVE"),
        openai_target("second", &second.base_url(), "SERVER_TEST_KEY_SAVE_2")
    ));
    assert_eq!(
        server.ok(N::ImportToml, json!({"textToml": text})).await,
        Value::Null
    );
    let on_disk = std::fs::read_to_string(&server.config).unwrap();
    assert!(on_disk.contains("id = \"second\""), "{on_disk}");
    // The page hears of it.
    let state = events
        .until(Duration::from_secs(2), |e| e.event == "state")
        .await
        .json();
    assert_eq!(state["snapshot"]["targets"][1]["id"], "second");
    // The new target is probed.
    server
        .wait_state(Duration::from_secs(5), |s| {
            s["snapshot"]["targets"][1]["status"] == "healthy"
        })
        .await;
    assert!(!second.requests().is_empty());

    // Settings carry the file's config and where keys come from, never keys.
    let settings = server.json(&format!("/api/{}", N::GetSettings)).await;
    assert_eq!(settings["config"]["targets"][1]["id"], "second");
    assert_eq!(settings["keys"]["second"], "env");
    assert_eq!(settings["notifications"], Value::Null);
    assert_eq!(settings["start_at_login"], Value::Null);
    assert!(!settings.to_string().contains(KEY));

    // save_settings with one target fewer and a new interval: file and engine follow.
    let mut config = settings["config"].clone();
    config["targets"].as_array_mut().unwrap().remove(0);
    config["targets"][0]["interval"] = json!("750ms");
    server
        .ok(
            N::SaveSettings,
            json!({"config": config, "notifications": null, "startAtLogin": null}),
        )
        .await;
    let on_disk = std::fs::read_to_string(&server.config).unwrap();
    assert!(!on_disk.contains("id = \"openai\""), "{on_disk}");
    assert!(on_disk.contains("interval = \"750ms\""), "{on_disk}");
    let state = server.json(&format!("/api/{}", N::GetState)).await;
    let ids: Vec<&str> = state["snapshot"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["second"]);
    let exported: String = server
        .json(&format!("/api/{}", N::ExportToml))
        .await
        .as_str()
        .unwrap()
        .into();
    // The same configuration; the file keeps its own layout (the import's key order here).
    let lines = |text: &str| {
        let mut l: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        l.sort();
        l
    };
    assert_eq!(lines(&exported), lines(&on_disk));

    // Edits of one target: disable, upsert, remove.
    server
        .ok(
            N::SetTargetEnabled,
            json!({"id": "second", "enabled": false}),
        )
        .await;
    // The engine shows the targets it probes; the settings keep the disabled one.
    let state = server.json(&format!("/api/{}", N::GetState)).await;
    assert_eq!(state["snapshot"]["targets"], json!([]));
    let settings = server.json(&format!("/api/{}", N::GetSettings)).await;
    assert_eq!(settings["config"]["targets"][0]["enabled"], false);
    let mut t = config["targets"][0].clone();
    t["id"] = json!("third");
    server.ok(N::UpsertTarget, json!({"target": t})).await;
    server.ok(N::RemoveTarget, json!({"id": "second"})).await;
    let settings = server.json(&format!("/api/{}", N::GetSettings)).await;
    assert_eq!(settings["config"]["targets"][0]["id"], "third");
    assert_eq!(settings["config"]["targets"].as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_import_names_line_and_key_and_changes_nothing() {
    let (fake, server) = one_target("SERVER_TEST_KEY_IMPORT").await;
    let before = std::fs::read_to_string(&server.config).unwrap();
    let text = quick_config(&openai_target("x", &fake.base_url(), "K"))
        .replace("interval = \"500ms\"", "interval = \"soon\"");
    let r = server.call(N::ImportToml, json!({"textToml": text})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    let error = error_of(&body);
    assert!(error.contains("imported config:2"), "{error}");
    assert!(error.contains("interval"), "{error}");
    assert_eq!(std::fs::read_to_string(&server.config).unwrap(), before);

    // An invalid edit through save_settings is refused the same way.
    let mut config = server.json(&format!("/api/{}", N::GetSettings)).await["config"].clone();
    config["targets"][0]["base_url"] = json!("ftp://nowhere");
    let r = server
        .call(N::SaveSettings, json!({"config": config}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(error_of(&body).contains("base_url"), "{body}");
    assert_eq!(std::fs::read_to_string(&server.config).unwrap(), before);
    server.stop().await;
}

#[tokio::test]
async fn test_target_probes_once_with_the_typed_key_and_never_returns_it() {
    let (fake, server) = one_target("SERVER_TEST_KEY_PROBE").await;
    let target = json!({"id": "new", "kind": "openai", "base_url": fake.base_url(),
                        "api_key_env": "SERVER_TEST_KEY_UNSET"});
    let good = server
        .ok(N::TestTarget, json!({"target": target, "apiKey": KEY}))
        .await;
    assert_eq!(good["status"], "healthy", "{good}");
    assert_eq!(good["outcome"]["class"], "ok");
    assert!(!good.to_string().contains(KEY));

    fake.set_fault(Fault::BadKeyEcho);
    let r = server
        .call(
            N::TestTarget,
            json!({"target": target, "apiKey": WRONG_KEY}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(!text.contains(WRONG_KEY), "{text}");
    assert!(!text.contains("9876543210"), "{text}");
    let bad: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bad["outcome"]["class"], "auth", "{bad}");
    fake.clear_faults();

    // Without a typed key the target's variable is used: unset here.
    let none = server
        .ok(N::TestTarget, json!({"target": target, "apiKey": null}))
        .await;
    assert_eq!(none["outcome"]["class"], "auth");
    // Nothing was saved.
    let settings = server.json(&format!("/api/{}", N::GetSettings)).await;
    assert_eq!(settings["config"]["targets"].as_array().unwrap().len(), 1);

    // Bad arguments are refused without quoting the key, wherever it was put.
    let r = server
        .call(
            N::TestTarget,
            json!({"target": {"id": KEY, "kind": 5}, "apiKey": WRONG_KEY}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(!text.contains(WRONG_KEY) && !text.contains(KEY), "{text}");
    let r = server
        .call(N::TestTarget, json!({"target": {"id": "x", "kind": "openai", "base_url": "ftp://x"}, "apiKey": WRONG_KEY}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("base_url") && !text.contains(WRONG_KEY),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn history_timeline_and_incidents_have_their_shapes() {
    let (fake, server) = one_target("SERVER_TEST_KEY_HISTORY").await;
    server
        .wait_state(Duration::from_secs(5), |s| {
            s["snapshot"]["targets"][0]["status"] == "healthy"
        })
        .await;
    // An outage, so there is an incident.
    fake.set_fault(Fault::Status(500));
    server
        .wait_state(Duration::from_secs(5), |s| {
            s["snapshot"]["targets"][0]["status"] == "unhealthy"
        })
        .await;
    fake.clear_faults();
    server
        .wait_state(Duration::from_secs(5), |s| {
            s["snapshot"]["targets"][0]["status"] == "healthy"
        })
        .await;
    // Written by the history writer, which flushes every 250 ms.
    let h = server
        .wait_json(
            &format!("/api/{}?target=openai&range=1h&buckets=12", N::History),
            Duration::from_secs(5),
            |h| {
                h["failures"].as_u64() >= Some(1)
                    && h["checks"].as_u64() >= Some(3)
                    && h["incidents"].as_array().is_some_and(|i| !i.is_empty())
            },
        )
        .await;
    for key in [
        "target",
        "name",
        "kind",
        "from",
        "to",
        "uptime_pct",
        "checks",
        "failures",
        "error_rate",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "segments",
        "incidents",
        "latency",
    ] {
        assert!(h.get(key).is_some(), "{key} in {h}");
    }
    assert_eq!(
        (h["target"].as_str(), h["name"].as_str()),
        (Some("openai"), Some("OpenAI"))
    );
    assert!(h["checks"].as_u64().unwrap() >= 3, "{h}");
    assert!(h["failures"].as_u64().unwrap() >= 1, "{h}");
    let latency = h["latency"].as_array().unwrap();
    assert_eq!(latency.len(), 12);
    for key in ["from", "to", "checks", "failures", "p50_ms", "p90_ms"] {
        assert!(latency[0].get(key).is_some(), "{key}");
    }
    let summed: u64 = latency.iter().map(|p| p["checks"].as_u64().unwrap()).sum();
    assert_eq!(summed, h["checks"].as_u64().unwrap());
    assert!(!h["incidents"].as_array().unwrap().is_empty(), "{h}");

    // The page posts the same thing.
    let posted = server
        .ok(
            N::History,
            json!({"target": "openai", "range": "1h", "buckets": 12}),
        )
        .await;
    assert_eq!(posted["checks"], h["checks"]);

    let tl = server
        .json(&format!("/api/{}?range=6h&buckets=5", N::Timeline))
        .await;
    assert_eq!(tl["targets"].as_array().unwrap().len(), 1);
    assert_eq!(tl["targets"][0]["latency"].as_array().unwrap().len(), 5);
    assert!(tl["from"].is_string() && tl["to"].is_string());
    let from = tl["targets"][0]["from"].as_str().unwrap();
    let explicit = server
        .json(&format!("/api/{}?from={from}&buckets=2", N::Timeline))
        .await;
    assert_eq!(explicit["from"].as_str(), Some(from));

    let incidents = server.json(&format!("/api/{}", N::Incidents)).await;
    let list = incidents.as_array().unwrap();
    assert!(!list.is_empty());
    for key in [
        "target",
        "started_at",
        "ended_at",
        "duration_ms",
        "worst",
        "cause",
        "message",
    ] {
        assert!(list[0].get(key).is_some(), "{key} in {}", list[0]);
    }
    let limited = server
        .json(&format!("/api/{}?target=openai&limit=0", N::Incidents))
        .await;
    assert_eq!(limited, json!([]));

    // Bad windows and unknown targets are the caller's to fix.
    let r = server.get(&format!("/api/{}?range=2w", N::Timeline)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(error_of(&body).contains("7d"), "{body}");
    let r = server
        .get(&format!("/api/{}?target=ghost", N::History))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = server
        .get(&format!("/api/{}?target=openai&buckets=many", N::History))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}

#[tokio::test]
async fn a_first_run_offers_what_it_found_and_the_answer_is_written() {
    let server = TestServer::start(None).await;
    let state = server
        .wait_state(Duration::from_secs(15), |s| s["offers"].is_array())
        .await;
    let offers = state["offers"].as_array().unwrap();
    assert!(
        offers.iter().any(|o| o["target"]["kind"] == "ollama"),
        "{state}"
    );
    assert!(offers
        .iter()
        .all(|o| o.get("found").is_some() && o.get("note").is_some()));
    assert!(!server.config.exists());

    let fake = openai_fake().await;
    let pick = json!({"id": "mine", "kind": "openai", "base_url": fake.base_url()});
    server.ok(N::AnswerOffers, json!({"targets": [pick]})).await;
    let state = server.json(&format!("/api/{}", N::GetState)).await;
    assert_eq!(state["offers"], Value::Null);
    assert_eq!(state["snapshot"]["targets"][0]["id"], "mine");
    let on_disk = std::fs::read_to_string(&server.config).unwrap();
    assert!(on_disk.contains("id = \"mine\""), "{on_disk}");
    server.stop().await;
}

/// Issue 16's reads over GET: the status page's incident as history, the heartbeat strip's
/// checks, and the usable targets best first (a target nothing answers is not among them).
#[tokio::test]
async fn provider_incidents_recent_checks_and_healthy_are_served() {
    use fake_llm::FakeIncident;
    std::env::set_var("SERVER_TEST_KEY_CONTEXT", KEY);
    let fake = openai_fake().await;
    let page = FakeServer::start(Flavor::Statuspage).await.unwrap();
    page.set_incidents(&[FakeIncident {
        id: "inc42".into(),
        name: "Elevated error rates".into(),
        status: "investigating".into(),
        impact: "minor".into(),
        started_at: chrono::Utc::now() - chrono::Duration::minutes(7),
        component_ids: vec!["k8w3r06qmzrp".into()],
    }]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let targets = format!(
        "{}\nstatus_page = \"{}\"\nstatus_component = \"Claude API\"\n\n{}",
        openai_target("openai", &fake.base_url(), "SERVER_TEST_KEY_CONTEXT").trim_end(),
        page.url(),
        openai_target("dead", &dead, "SERVER_TEST_KEY_CONTEXT"),
    );
    let server = TestServer::start(Some(&quick_config(&targets))).await;
    server
        .wait_state(Duration::from_secs(10), |s| {
            let t = &s["snapshot"]["targets"];
            t[0]["status"] == "healthy" && t[1]["status"] == "unhealthy"
        })
        .await;

    let list = server
        .wait_json(
            &format!("/api/{}", N::ProviderIncidents),
            Duration::from_secs(10),
            |v| v.as_array().is_some_and(|a| !a.is_empty()),
        )
        .await;
    let span = &list[0];
    assert_eq!(span["target"], "openai");
    assert_eq!(span["name"], "Elevated error rates");
    assert_eq!(span["status"], "investigating");
    assert_eq!(span["impact"], "minor");
    assert_eq!(span["id"], "inc42");
    assert_eq!(span["ended_at"], Value::Null, "still reported");
    let dead_only = server
        .json(&format!("/api/{}?target=dead", N::ProviderIncidents))
        .await;
    assert_eq!(dead_only, json!([]));
    let timeline = server.json(&format!("/api/{}?range=1h", N::Timeline)).await;
    assert_eq!(
        timeline["provider_incidents"][0]["name"],
        "Elevated error rates"
    );

    let beats = server
        .wait_json(
            &format!("/api/{}", N::RecentChecks),
            Duration::from_secs(10),
            |v| v["openai"].as_array().is_some_and(|a| a.len() >= 2),
        )
        .await;
    let openai = beats["openai"].as_array().unwrap();
    assert!(openai
        .iter()
        .all(|b| b["status"] == "healthy" && b["class"] == "ok"));
    assert!(openai
        .windows(2)
        .all(|w| w[0]["at"].as_str() < w[1]["at"].as_str()));
    assert!(beats["dead"]
        .as_array()
        .is_some_and(|a| a.iter().all(|b| b["class"] == "connect")));
    let one = server
        .json(&format!("/api/{}?target=openai&limit=1", N::RecentChecks))
        .await;
    assert_eq!(one.as_object().map(|o| o.len()), Some(1));
    assert_eq!(one["openai"].as_array().map(Vec::len), Some(1));
    let r = server
        .get(&format!("/api/{}?target=ghost", N::RecentChecks))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let healthy = server.json("/api/healthy").await;
    let ids: Vec<&str> = healthy
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["openai"], "{healthy}");
    assert_eq!(healthy[0]["base_url"], fake.base_url().as_str());
    assert_eq!(healthy[0]["local"], false);
    assert_eq!(healthy[0]["kind"], "openai");
    assert_eq!(server.json("/api/healthy?local=true").await, json!([]));
    assert_eq!(server.json("/api/healthy?kind=ollama").await, json!([]));
    assert_eq!(
        server.json("/api/healthy?local=false&kind=openai").await[0]["target"],
        "openai"
    );
    let r = server.get("/api/healthy?kind=nonsense").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}
