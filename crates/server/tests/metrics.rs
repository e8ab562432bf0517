//! `/metrics` in Prometheus text format: well formed, every target, and every metric the
//! Grafana dashboard queries.

mod common;

use common::*;
use controller::CommandName as N;
use fake_llm::{FakeServer, Flavor};
use std::collections::BTreeSet;
use std::time::Duration;

/// Two targets, one with a name that needs escaping.
async fn two_targets() -> (FakeServer, FakeServer, TestServer) {
    std::env::set_var("SERVER_METRICS_KEY", "sk-metrics-0123456789abcdef");
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some("sk-metrics-0123456789abcdef"));
    let ollama = FakeServer::start(Flavor::Ollama).await.unwrap();
    let config = quick_config(&format!(
        "{}[[targets]]\nid = \"local\"\nname = 'Ollama \"big\" \\ box'\nkind = \"ollama\"\nbase_url = \"{}\"\n",
        openai_target("openai", &openai.base_url(), "SERVER_METRICS_KEY"),
        ollama.url()
    ));
    let server = TestServer::start(Some(&config)).await;
    server
        .wait_state(Duration::from_secs(5), |s| {
            s["snapshot"]["targets"]
                .as_array()
                .is_some_and(|t| t.iter().all(|t| t["status"] == "healthy"))
        })
        .await;
    // A first scrape before the history writer's first flush would find, and keep for 15 s, no
    // history: wait until the history has both targets' checks and status.
    server
        .wait_json(
            &format!("/api/{}?range=1h&buckets=1", N::Timeline),
            Duration::from_secs(10),
            |tl| {
                tl["targets"].as_array().is_some_and(|t| {
                    t.iter()
                        .all(|v| v["checks"].as_u64() > Some(0) && v["uptime_pct"].is_number())
                })
            },
        )
        .await;
    (openai, ollama, server)
}

async fn scrape(server: &TestServer) -> String {
    let r = server.get("/metrics").await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn metrics_parse_and_cover_every_target() {
    let (_openai, _ollama, server) = two_targets().await;
    let text = scrape(&server).await;
    let samples = parse_exposition(&text);
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        samples
            .iter()
            .find(|s| s.name == name && s.has(labels))
            .map(|s| s.value)
    };
    for target in ["openai", "local"] {
        let t = [("target", target)];
        assert_eq!(value("llm_health_up", &t), Some(1.0), "{target}\n{text}");
        assert_eq!(
            value(
                "llm_health_status",
                &[("target", target), ("status", "healthy")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                "llm_health_status",
                &[("target", target), ("status", "unhealthy")]
            ),
            Some(0.0)
        );
        assert!(value("llm_health_score", &t).is_some());
        assert!(value("llm_health_last_latency_seconds", &t).is_some());
        assert_eq!(value("llm_health_consecutive_failures", &t), Some(0.0));
        for window in ["24h", "7d"] {
            let ratio = value(
                "llm_health_uptime_ratio",
                &[("target", target), ("window", window)],
            );
            assert_eq!(ratio, Some(1.0), "{target} {window}\n{text}");
        }
        for q in ["0.5", "0.9", "0.99"] {
            assert!(
                value(
                    "llm_health_latency_seconds",
                    &[("target", target), ("quantile", q)]
                )
                .is_some(),
                "{target} p{q}\n{text}"
            );
        }
        assert!(value("llm_health_checks_24h", &t).unwrap() >= 1.0);
        assert_eq!(value("llm_health_failures_24h", &t), Some(0.0));
    }
    // The history takes every check: nothing failing, waiting or lost.
    assert_eq!(
        value("llm_health_history_write_failing", &[]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value("llm_health_history_dropped_events", &[]),
        Some(0.0),
        "{text}"
    );
    assert!(
        value("llm_health_history_pending_events", &[]).is_some(),
        "{text}"
    );
    // The name came through the escaping intact.
    assert_eq!(
        value(
            "llm_health_status",
            &[
                ("target", "local"),
                ("name", "Ollama \"big\" \\ box"),
                ("kind", "ollama"),
                ("status", "healthy")
            ]
        ),
        Some(1.0),
        "{text}"
    );
    server.stop().await;
}

/// Metric names a PromQL expression uses: identifiers that start with `llm_health_`.
fn metric_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("llm_health_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        out.push(expr[start..end].to_string());
        i = end;
    }
    out
}

fn exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if (k == "expr" || k == "query" || k == "definition") && v.is_string() {
                    out.push(v.as_str().unwrap().to_string());
                } else if k == "query" && v.is_object() {
                    if let Some(q) = v.get("query").and_then(|q| q.as_str()) {
                        out.push(q.to_string());
                    }
                } else {
                    exprs(v, out);
                }
            }
        }
        serde_json::Value::Array(list) => list.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_grafana_dashboard_queries_only_exported_metrics() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contrib/grafana/llm-health-dashboard.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut found = Vec::new();
    exprs(&dashboard, &mut found);
    assert!(found.len() >= 6, "too few queries: {found:?}");

    let (_openai, _ollama, server) = two_targets().await;
    let exported: BTreeSet<String> = parse_exposition(&scrape(&server).await)
        .into_iter()
        .map(|s| s.name)
        .collect();
    let mut used = BTreeSet::new();
    for expr in &found {
        for name in metric_names(expr) {
            assert!(
                exported.contains(&name),
                "{name} (in `{expr}`) is not exported: {exported:?}"
            );
            used.insert(name);
        }
    }
    // Every panel kind the dashboard promises has its metric.
    for name in [
        "llm_health_status",
        "llm_health_uptime_ratio",
        "llm_health_latency_seconds",
        "llm_health_score",
        "llm_health_consecutive_failures",
    ] {
        assert!(used.contains(name), "the dashboard does not show {name}");
    }
    server.stop().await;
}

#[test]
fn the_line_checker_refuses_what_prometheus_would() {
    let good = "# HELP m A metric.\n# TYPE m gauge\nm{a=\"x\\\"y\",b=\"2\"} 1.5\nm 2\n";
    let s = parse_exposition(good);
    assert_eq!(s[0].labels[0], ("a".into(), "x\"y".into()));
    assert_eq!((s[1].name.as_str(), s[1].value), ("m", 2.0));
    for bad in [
        "m 1\n",                                          // no HELP/TYPE
        "# HELP m A.\n# TYPE m gauge\nm{a=\"x\"} one\n",  // value
        "# HELP m A.\n# TYPE m gauge\nm{a=\"x\\q\"} 1\n", // escape
        "# HELP m A.\n# TYPE m gauge\nm{1a=\"x\"} 1\n",   // label name
        "# HELP m A.\n# TYPE m gauge\nn 1\n",             // outside its family
        "# HELP m A.\n# TYPE m gauge\nm 1",               // no final newline
    ] {
        let result = std::panic::catch_unwind(|| parse_exposition(bad));
        assert!(result.is_err(), "accepted: {bad:?}");
    }
}
