//! Issue 16's probes against fakes that follow the documented APIs (see
//! `shared/guide/llm-endpoints.md`): llama.cpp loading then ready, vLLM's Prometheus load,
//! OpenRouter's key and DeepSeek's balance with `min_credits`, status pages polled once per page
//! with ETag, several models per target, and detection by each server's own answer.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use monitor::config::Config;
use monitor::detect::{detect_local, LocalCandidate, Recognize};
use monitor::probe::{KeySource, Prober};
use monitor::{Class, ComponentStatus, Indicator, Kind};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What a fake knows and counts.
#[derive(Default)]
struct Fake {
    loading: AtomicBool,
    hits: Mutex<Vec<String>>,
    /// The incidents' JSON, changed by the test.
    incidents: Mutex<Value>,
    revision: AtomicU64,
}

impl Fake {
    fn hit(&self, path: &str) {
        self.hits.lock().unwrap().push(path.to_string());
    }
    fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("http://{addr}")
}

struct Key(&'static str);
impl KeySource for Key {
    fn key_for(&self, _: &monitor::config::Target) -> Option<String> {
        Some(self.0.to_string())
    }
}

fn config(toml: &str) -> Config {
    Config::parse(toml, "test").unwrap()
}

const LOADING: &str =
    r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#;

fn llamacpp(fake: Arc<Fake>) -> Router {
    Router::new()
        .route(
            "/health",
            get(|State(f): State<Arc<Fake>>| async move {
                f.hit("/health");
                if f.loading.load(Ordering::SeqCst) {
                    (StatusCode::SERVICE_UNAVAILABLE, LOADING).into_response()
                } else {
                    Json(json!({"status": "ok"})).into_response()
                }
            }),
        )
        .route(
            "/v1/models",
            get(|State(f): State<Arc<Fake>>| async move {
                f.hit("/v1/models");
                Json(
                    json!({"object": "list", "data": [{"id": "qwen2.5-7b-instruct-q4_k_m",
                    "object": "model", "created": 1, "owned_by": "llamacpp"}]}),
                )
            }),
        )
        .route(
            "/props",
            get(|State(f): State<Arc<Fake>>| async move {
                f.hit("/props");
                Json(
                    json!({"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1,
                    "model_alias": "qwen2.5-7b-instruct-q4_k_m", "build_info": "b6123-abcdef0"}),
                )
            }),
        )
        .with_state(fake)
}

#[tokio::test]
async fn llamacpp_loading_is_degraded_not_down_and_ready_lists_its_model() {
    let fake = Arc::new(Fake::default());
    fake.loading.store(true, Ordering::SeqCst);
    let url = serve(llamacpp(fake.clone())).await;
    let c = config(&format!(
        "[[targets]]\nid = \"llama\"\nkind = \"llamacpp\"\nbase_url = \"{url}\"\n"
    ));
    let prober = Prober::with_env_keys().unwrap();
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(o.class, Class::Loading, "{o:?}");
    assert_eq!(o.http_status, Some(503));
    assert_eq!(o.message, "loading model");
    assert_eq!(
        fake.hits("/v1/models"),
        0,
        "nothing else is asked while it loads"
    );

    fake.loading.store(false, Ordering::SeqCst);
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(o.class, Class::Ok, "{o:?}");
    assert_eq!(o.details.models, ["qwen2.5-7b-instruct-q4_k_m"]);

    let c = config(&format!(
        "[[targets]]\nid = \"llama\"\nkind = \"llamacpp\"\nbase_url = \"{url}\"\nmodels = [\"qwen2.5-7b-instruct-q4_k_m\", \"gone-model\"]\n"
    ));
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(o.class, Class::NotFound);
    assert!(o.message.contains("\"gone-model\""), "{}", o.message);
}

const METRICS: &str =
    "# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 3.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 0.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 0.42
vllm:e2e_request_latency_seconds_bucket{le=\"0.3\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 12.0
process_resident_memory_bytes 1.2e9
";

fn vllm() -> Router {
    Router::new()
        .route("/health", get(|| async { StatusCode::OK }))
        .route(
            "/v1/models",
            get(|| async {
                Json(
                    json!({"object": "list", "data": [{"id": "Qwen/Qwen2.5-7B-Instruct",
                    "object": "model", "created": 1, "owned_by": "vllm",
                    "root": "Qwen/Qwen2.5-7B-Instruct", "max_model_len": 32768}]}),
                )
            }),
        )
        .route("/metrics", get(|| async { METRICS }))
}

#[tokio::test]
async fn vllm_reports_its_load_from_metrics() {
    let url = serve(vllm()).await;
    let c = config(&format!(
        "[[targets]]\nid = \"vllm\"\nkind = \"vllm\"\nbase_url = \"{url}\"\n"
    ));
    assert!(c.targets[0].is_local_server());
    let o = Prober::with_env_keys().unwrap().probe(&c.targets[0]).await;
    assert_eq!(o.class, Class::Ok, "{o:?}");
    let load = o.details.server_load.clone().expect("load");
    assert_eq!((load.running, load.waiting), (Some(3), Some(0)));
    assert_eq!(load.kv_cache_used, Some(0.42));
    let json = serde_json::to_value(&o.details).unwrap();
    assert_eq!(
        json["server_load"],
        json!({"running": 3, "waiting": 0, "kv_cache_used": 0.42})
    );
}

fn openrouter(fake: Arc<Fake>, remaining: f64) -> Router {
    Router::new()
        .route(
            "/api/v1/models",
            get(|| async { Json(json!({"data": [{"id": "openai/gpt-4o-mini"}]})) }),
        )
        .route(
            "/api/v1/key",
            get(move |State(f): State<Arc<Fake>>, headers: HeaderMap| async move {
                f.hit("/api/v1/key");
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sk-or-test") {
                    return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": 401, "message": "No auth credentials found"}}))).into_response();
                }
                Json(json!({"data": {"label": "sk-or-v1-abc", "limit": 10.0,
                    "limit_remaining": remaining, "usage": 10.0 - remaining, "is_free_tier": false}}))
                .into_response()
            }),
        )
        .with_state(fake)
}

#[tokio::test]
async fn credits_below_min_credits_are_degraded_and_read_at_most_every_five_minutes() {
    let fake = Arc::new(Fake::default());
    let url = serve(openrouter(fake.clone(), 2.1)).await;
    let c = config(&format!(
        "[[targets]]\nid = \"or\"\nkind = \"openai_compatible\"\npreset = \"openrouter\"\nbase_url = \"{url}/api/v1\"\nstatus_page = \"\"\nmin_credits = 5.0\n"
    ));
    let prober = Prober::new(Arc::new(Key("sk-or-test"))).unwrap();
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(o.class, Class::CreditsLow, "{o:?}");
    assert_eq!(o.message, "credits low: 2.10 USD left");
    let json = serde_json::to_value(&o.details).unwrap();
    assert_eq!(
        json["credits"],
        json!({"remaining": 2.1, "limit": 10.0, "usage": 7.9, "unit": "USD"})
    );
    let again = prober.probe(&c.targets[0]).await;
    assert_eq!(again.class, Class::CreditsLow);
    assert_eq!(
        fake.hits("/api/v1/key"),
        1,
        "the key endpoint is read once per 5 minutes"
    );

    // Spent to zero: the account is exhausted, which is quota.
    let fake = Arc::new(Fake::default());
    let url = serve(openrouter(fake, 0.0)).await;
    let c = config(&format!(
        "[[targets]]\nid = \"or\"\nkind = \"openai_compatible\"\npreset = \"openrouter\"\nbase_url = \"{url}/api/v1\"\nstatus_page = \"\"\n"
    ));
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(o.class, Class::Quota, "{o:?}");
}

#[tokio::test]
async fn deepseek_balance_is_read_beside_the_api() {
    let router = Router::new()
        .route("/models", get(|| async { Json(json!({"object": "list", "data": [{"id": "deepseek-chat"}]})) }))
        .route(
            "/user/balance",
            get(|| async {
                Json(json!({"is_available": true, "balance_infos": [
                    {"currency": "CNY", "total_balance": "110.00", "granted_balance": "0.00", "topped_up_balance": "110.00"},
                    {"currency": "USD", "total_balance": "12.50", "granted_balance": "0.00", "topped_up_balance": "12.50"}]}))
            }),
        );
    let url = serve(router).await;
    let c = config(&format!(
        "[[targets]]\nid = \"ds\"\nkind = \"openai_compatible\"\npreset = \"deepseek\"\nbase_url = \"{url}\"\nstatus_page = \"\"\nmin_credits = 5\n"
    ));
    let o = Prober::new(Arc::new(Key("sk-ds")))
        .unwrap()
        .probe(&c.targets[0])
        .await;
    assert_eq!(o.class, Class::Ok, "{o:?}");
    let credits = o.details.credits.expect("credits");
    assert_eq!(
        (credits.remaining, credits.unit.as_str()),
        (Some(12.5), "USD")
    );
}

/// A Statuspage v2 page that honours `If-None-Match`.
fn status_page(fake: Arc<Fake>) -> Router {
    fn etag(f: &Fake) -> String {
        format!("\"rev-{}\"", f.revision.load(Ordering::SeqCst))
    }
    async fn document(f: Arc<Fake>, path: &str, headers: HeaderMap, body: Value) -> Response {
        f.hit(path);
        let tag = etag(&f);
        if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
            return (StatusCode::NOT_MODIFIED, [("etag", tag)]).into_response();
        }
        ([("etag", tag)], Json(body)).into_response()
    }
    let page = json!({"id": "p1", "name": "OpenAI", "url": "https://status.openai.com"});
    let (p1, p2, p3) = (page.clone(), page.clone(), page);
    Router::new()
        .route(
            "/api/v2/status.json",
            get(move |State(f): State<Arc<Fake>>, h: HeaderMap| async move {
                let worst = if f.incidents.lock().unwrap().as_array().is_some_and(|a| !a.is_empty()) { "minor" } else { "none" };
                document(f, "/api/v2/status.json", h, json!({"page": p1, "status": {"indicator": worst, "description": if worst == "none" { "All Systems Operational" } else { "Minor Service Outage" }}})).await
            }),
        )
        .route(
            "/api/v2/components.json",
            get(move |State(f): State<Arc<Fake>>, h: HeaderMap| async move {
                let degraded = f.incidents.lock().unwrap().as_array().is_some_and(|a| !a.is_empty());
                document(f, "/api/v2/components.json", h, json!({"page": p2, "components": [
                    {"id": "01JMXBRMFE6N2NNT7DG6XZQ6PW", "name": "API", "status": if degraded { "degraded_performance" } else { "operational" }},
                    {"id": "01JMXBRMFE7J6W3X1H9B0W5QYC", "name": "ChatGPT", "status": "operational"}]})).await
            }),
        )
        .route(
            "/api/v2/incidents/unresolved.json",
            get(move |State(f): State<Arc<Fake>>, h: HeaderMap| async move {
                let incidents = f.incidents.lock().unwrap().clone();
                document(f, "/api/v2/incidents/unresolved.json", h, json!({"page": p3, "incidents": incidents})).await
            }),
        )
        .with_state(fake)
}

#[tokio::test(start_paused = true)]
async fn a_status_page_is_polled_once_for_all_its_targets_with_etags() {
    let fake = Arc::new(Fake::default());
    *fake.incidents.lock().unwrap() = json!([]);
    let page = serve(status_page(fake.clone())).await;
    let api = serve(Router::new().route(
        "/v1/models",
        get(|| async { Json(json!({"data": [{"id": "gpt-4o-mini"}]})) }),
    ))
    .await;
    let c = config(&format!(
        r#"
[[targets]]
id = "a"
kind = "openai"
base_url = "{api}/v1"
status_page = "{page}"
status_component = "API"

[[targets]]
id = "b"
kind = "openai"
base_url = "{api}/v1"
status_page = "{page}/"
status_component = "01JMXBRMFE7J6W3X1H9B0W5QYC"

[[targets]]
id = "c"
kind = "openai"
base_url = "{api}/v1"
status_page = "{page}"
status_component = "Sora"
"#
    ));
    let prober = Prober::new(Arc::new(Key("sk-test"))).unwrap();
    let outcomes = futures_util::future::join_all(c.targets.iter().map(|t| prober.probe(t))).await;
    assert_eq!(fake.hits("/api/v2/components.json"), 1, "one poll per page");
    let a = outcomes[0].details.provider_status.clone().expect("status");
    assert_eq!(outcomes[0].class, Class::Ok);
    assert_eq!(a.provider.as_deref(), Some("OpenAI"));
    assert_eq!(a.indicator, Some(Indicator::None));
    assert_eq!(a.component.as_deref(), Some("API"));
    assert_eq!(a.component_status, Some(ComponentStatus::Operational));
    let b = outcomes[1].details.provider_status.clone().unwrap();
    assert_eq!(b.component.as_deref(), Some("ChatGPT"), "matched by id");
    let unmatched = outcomes[2].details.provider_status.clone().unwrap();
    assert_eq!(unmatched.component_status, Some(ComponentStatus::Unknown));

    // Within five minutes nothing is asked again.
    prober.probe(&c.targets[0]).await;
    assert_eq!(fake.hits("/api/v2/components.json"), 1);

    // An incident on the API: context only, our probe still says ok.
    *fake.incidents.lock().unwrap() = json!([{"id": "inc1", "name": "Elevated error rates",
        "status": "investigating", "impact": "minor", "started_at": "2026-12-01T10:00:00Z",
        "shortlink": "https://stspg.io/inc1", "components": [{"id": "01JMXBRMFE6N2NNT7DG6XZQ6PW", "name": "API"}]}]);
    fake.revision.fetch_add(1, Ordering::SeqCst);
    tokio::time::advance(std::time::Duration::from_secs(301)).await;
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(
        o.class,
        Class::Ok,
        "a provider incident never makes a target unhealthy"
    );
    let s = o.details.provider_status.unwrap();
    assert_eq!(s.indicator, Some(Indicator::Minor));
    assert_eq!(
        s.component_status,
        Some(ComponentStatus::DegradedPerformance)
    );
    assert_eq!(s.incidents.len(), 1);
    assert_eq!(s.incidents[0].name, "Elevated error rates");
    assert_eq!(s.incidents[0].url.as_deref(), Some("https://stspg.io/inc1"));
    // ChatGPT is not affected.
    let o = prober.probe(&c.targets[1]).await;
    assert!(o.details.provider_status.unwrap().incidents.is_empty());

    // Unchanged since: the next poll is answered 304 and the incident is still known.
    tokio::time::advance(std::time::Duration::from_secs(301)).await;
    let o = prober.probe(&c.targets[0]).await;
    assert_eq!(fake.hits("/api/v2/components.json"), 3);
    assert_eq!(
        o.details.provider_status.unwrap().incidents.len(),
        1,
        "304 keeps what was read"
    );
}

#[tokio::test]
async fn detection_tells_llamacpp_from_localai_and_vllm_by_their_answers() {
    let fake = Arc::new(Fake::default());
    let llama = serve(llamacpp(fake)).await;
    let vllm = serve(vllm()).await;
    let localai = serve(Router::new().route("/readyz", get(|| async { "OK" }))).await;
    let candidate = |kind: &str, preset: Option<&str>, url: &str, recognize| {
        let preset = preset
            .map(|p| format!("preset = \"{p}\"\n"))
            .unwrap_or_default();
        LocalCandidate {
            target: config(&format!(
                "[[targets]]\nid = \"x\"\nkind = \"{kind}\"\n{preset}base_url = \"{url}\"\n"
            ))
            .targets
            .remove(0),
            recognize,
        }
    };
    let prober = Prober::with_env_keys().unwrap();
    let found = detect_local(
        &prober,
        &[
            candidate("llamacpp", None, &llama, Recognize::LlamacppProps),
            candidate(
                "openai_compatible",
                Some("localai"),
                &format!("{llama}/v1"),
                Recognize::LocalaiReady,
            ),
            candidate("llamacpp", None, &localai, Recognize::LlamacppProps),
            candidate(
                "openai_compatible",
                Some("localai"),
                &format!("{localai}/v1"),
                Recognize::LocalaiReady,
            ),
            candidate("vllm", None, &vllm, Recognize::VllmModels),
            candidate("vllm", None, &llama, Recognize::VllmModels),
        ],
    )
    .await;
    let answers: Vec<bool> = found.iter().map(|d| d.found).collect();
    assert_eq!(
        answers,
        [true, false, false, true, true, false],
        "{found:#?}"
    );
    assert!(
        found[0].note.contains("qwen2.5-7b-instruct-q4_k_m"),
        "{}",
        found[0].note
    );
    assert_eq!(found[4].target.kind, Kind::Vllm);
}

#[test]
fn models_and_presets_resolve_as_the_contract_says() {
    let c = config(
        r#"
[[targets]]
id = "openai"
kind = "openai"
model = "gpt-4o-mini"
models = ["gpt-4o-mini", "gpt-4.1"]
min_credits = 5.0

[[targets]]
id = "jan"
kind = "openai_compatible"
preset = "jan"

[[targets]]
id = "off"
kind = "anthropic"
status_page = ""
"#,
    );
    let t = &c.targets[0];
    assert_eq!(t.models, ["gpt-4o-mini", "gpt-4.1"]);
    assert_eq!(t.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(
        t.status_page.as_ref().map(|u| u.as_str()),
        Some("https://status.openai.com/")
    );
    assert_eq!(t.min_credits, Some(5.0));
    let jan = &c.targets[1];
    assert_eq!(jan.base_url.as_str(), "http://127.0.0.1:1337/v1");
    assert!(!jan.takes_key() && jan.status_page.is_none());
    assert!(c.targets[2].status_page.is_none(), "\"\" switches it off");
    let proxy = config(
        "[[targets]]\nid = \"p\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:4000/v1\"\n",
    );
    assert!(
        proxy.targets[0].status_page.is_none() && proxy.targets[0].status_component.is_none(),
        "OpenAI's page does not speak for a proxy"
    );
    let bad = Config::parse(
        "[[targets]]\nid = \"x\"\nkind = \"openai\"\nmin_credits = -1\n",
        "t",
    )
    .unwrap_err();
    assert!(bad.to_string().contains("min_credits"), "{bad}");
}

#[tokio::test]
async fn both_page_shapes_of_fake_llm_are_read_for_the_watched_component() {
    use fake_llm::{FakeIncident, FakeServer, Flavor};
    let api = serve(Router::new().route(
        "/v1/models",
        get(|| async { Json(json!({"data": [{"id": "gpt-4o-mini"}]})) }),
    ))
    .await;
    for (flavor, component, id) in [
        (Flavor::Incidentio, "API", "01JMXBRMFE6N2NNT7DG6XZQ6PW"),
        (Flavor::Statuspage, "Claude API", "k8w3r06qmzrp"),
    ] {
        let page = FakeServer::start(flavor).await.unwrap();
        page.set_incidents(&[FakeIncident {
            id: "inc42".into(),
            name: "Elevated error rates".into(),
            status: "investigating".into(),
            impact: "minor".into(),
            started_at: chrono::Utc::now(),
            component_ids: vec![id.into()],
        }]);
        let c = config(&format!(
            "[[targets]]\nid = \"t\"\nkind = \"openai\"\nbase_url = \"{api}/v1\"\nstatus_page = \"{}\"\nstatus_component = \"{component}\"\n",
            page.url()
        ));
        let o = Prober::new(Arc::new(Key("sk-test")))
            .unwrap()
            .probe(&c.targets[0])
            .await;
        assert_eq!(o.class, Class::Ok, "{flavor}: {o:?}");
        let s = o.details.provider_status.expect("provider status");
        assert_eq!(s.component.as_deref(), Some(component), "{flavor}");
        assert_ne!(
            s.component_status,
            Some(ComponentStatus::Unknown),
            "{flavor}"
        );
        assert_eq!(s.incidents.len(), 1, "{flavor}: {s:?}");
        assert_eq!(s.incidents[0].name, "Elevated error rates");
        assert_ne!(s.indicator, Some(Indicator::None), "{flavor}");
        assert_eq!(page.hits("/api/v2/components.json"), 1);
        assert_eq!(
            page.hits("/api/v2/summary.json"),
            0,
            "the summary is partial on incident.io"
        );
    }
}
