//! `/metrics` in Prometheus text format: well formed, every target, counters and a histogram
//! that follow the checks, and every metric the Grafana dashboard queries.

mod common;

use common::*;
use controller::CommandName as N;
use fake_llm::{FakeServer, Fault, Flavor};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

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
    promtool_accepts(&text);
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
        for p in ["50", "90", "99"] {
            assert!(
                value(
                    "llm_health_latency_24h_seconds",
                    &[("target", target), ("percentile", p)]
                )
                .is_some(),
                "{target} p{p}\n{text}"
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
        value("llm_health_history_dropped_events_total", &[]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(value("llm_health_paused", &[]), Some(0.0), "{text}");
    assert!(
        value("llm_health_history_pending_events", &[]).is_some(),
        "{text}"
    );
    // The name came through the escaping intact, on the info metric only: the other series
    // carry nothing that can change.
    assert_eq!(
        value(
            "llm_health_target_info",
            &[
                ("target", "local"),
                ("name", "Ollama \"big\" \\ box"),
                ("kind", "ollama"),
            ]
        ),
        Some(1.0),
        "{text}"
    );
    for s in samples.iter().filter(|s| s.name == "llm_health_status") {
        let names: Vec<&str> = s.labels.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["target", "status"], "{text}");
    }
    let build = samples
        .iter()
        .find(|s| s.name == "llm_health_build_info")
        .expect("build info");
    assert_eq!(build.value, 1.0);
    assert_eq!(
        build.labels,
        [("version".into(), env!("CARGO_PKG_VERSION").into())]
    );
    server.stop().await;
}

/// Prometheus's own parser and linter, `promtool check metrics`, where it is installed
/// (`scripts/ensure-deps` installs it, so CI always has it).
fn promtool_accepts(text: &str) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("no promtool here: the exposition was checked by parse_exposition only");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}\n{text}"
    );
}

/// The samples of one scrape, by name and then by their labels other than `le`.
fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && s.has(labels))
        .map(|s| s.value)
}

/// A histogram's buckets for one target, `(le, count)` in the order written.
fn buckets(samples: &[Sample], name: &str, target: &str) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter(|s| s.name == format!("{name}_bucket") && s.has(&[("target", target)]))
        .map(|s| {
            let le = &s.labels.iter().find(|(k, _)| k == "le").unwrap().1;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            (le, s.value)
        })
        .collect()
}

/// What `# TYPE` says of each family.
fn types(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (name, kind) = l.split_once(' ').unwrap();
            (name.to_string(), kind.to_string())
        })
        .collect()
}

/// Counters and the latency histogram follow the engine's checks: one target that answers
/// (after 120 ms) and one that fails every check with a 500.
#[tokio::test]
async fn counters_and_the_histogram_follow_the_checks() {
    std::env::set_var("SERVER_COUNTERS_KEY", "sk-counters-0123456789abcdef");
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some("sk-counters-0123456789abcdef"));
    openai.set_fault(Fault::Latency(Duration::from_millis(120)));
    let broken = FakeServer::start(Flavor::Ollama).await.unwrap();
    broken.set_fault(Fault::Status(500));
    let config = quick_config(&format!(
        "{}[[targets]]\nid = \"broken\"\nname = \"Broken \\\"box\\\"\"\nkind = \"ollama\"\nbase_url = \"{}\"\n",
        openai_target("openai", &openai.base_url(), "SERVER_COUNTERS_KEY"),
        broken.url()
    ));
    let server = TestServer::start(Some(&config)).await;
    let checks = |samples: &[Sample], target: &str| -> f64 {
        samples
            .iter()
            .filter(|s| s.name == "llm_health_checks_total" && s.has(&[("target", target)]))
            .map(|s| s.value)
            .sum()
    };
    // Scrapes until both targets have been checked at least `n` times.
    let until = |n: f64| {
        let server = &server;
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let text = scrape(server).await;
                let samples = parse_exposition(&text);
                if checks(&samples, "openai") >= n && checks(&samples, "broken") >= n {
                    return (text, samples);
                }
                assert!(Instant::now() < deadline, "too few checks in time:\n{text}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let (_, first) = until(2.0).await;
    let (text, second) = until(checks(&first, "openai") + 2.0).await;
    promtool_accepts(&text);

    // The families are typed as their names say.
    let types = types(&text);
    for (name, kind) in &types {
        let want = if name.ends_with("_total") {
            "counter"
        } else if name == "llm_health_probe_duration_seconds" {
            "histogram"
        } else {
            "gauge"
        };
        assert_eq!(kind, want, "{name}");
    }
    for name in [
        "llm_health_checks_total",
        "llm_health_check_failures_total",
        "llm_health_probe_duration_seconds",
        "llm_health_last_check_timestamp_seconds",
        "llm_health_target_info",
        "llm_health_build_info",
    ] {
        assert!(types.contains_key(name), "{name} missing:\n{text}");
    }

    // Counters only grow.
    for a in first
        .iter()
        .filter(|s| types.get(&s.name).is_some_and(|k| k == "counter"))
    {
        let b = second
            .iter()
            .find(|b| b.name == a.name && b.labels == a.labels)
            .unwrap_or_else(|| panic!("{a:?} gone in the second scrape"));
        assert!(b.value >= a.value, "{a:?} fell to {}", b.value);
    }
    assert!(checks(&second, "openai") > checks(&first, "openai"));

    let hist = "llm_health_probe_duration_seconds";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for (target, class, failing) in [("openai", "ok", false), ("broken", "server_error", true)] {
        let t = [("target", target)];
        let total = checks(&second, target);
        // One class for every check of this target, and the failures are exactly the failing ones.
        assert_eq!(
            value_of(
                &second,
                "llm_health_checks_total",
                &[("target", target), ("class", class)]
            ),
            Some(total),
            "{target}\n{text}"
        );
        let failures = value_of(&second, "llm_health_check_failures_total", &t).unwrap();
        assert_eq!(
            failures,
            if failing { total } else { 0.0 },
            "{target}\n{text}"
        );
        // The histogram: cumulative buckets in rising order of le, up to +Inf, which is the
        // count, which is the number of checks.
        let b = buckets(&second, hist, target);
        assert_eq!(b.len(), 11, "{target}: 10 bounds and +Inf\n{text}");
        assert_eq!(b.first().unwrap().0, 0.025);
        assert_eq!(b[9].0, 30.0);
        for pair in b.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{target}: le out of order {b:?}");
            assert!(
                pair[0].1 <= pair[1].1,
                "{target}: buckets not cumulative {b:?}"
            );
        }
        assert_eq!(b.last().unwrap(), &(f64::INFINITY, total), "{target}");
        let count = value_of(&second, &format!("{hist}_count"), &t).unwrap();
        assert_eq!(count, total, "{target}: _count is the checks");
        let sum = value_of(&second, &format!("{hist}_sum"), &t).unwrap();
        assert!(sum >= 0.0 && sum.is_finite(), "{target}: {sum}");
        if target == "openai" {
            // Every answer took at least 120 ms: nothing at or under 100 ms, the sum to match.
            assert_eq!(b[2], (0.1, 0.0), "{b:?}");
            assert!(sum >= 0.12 * count, "{sum} for {count} checks");
        }
        let last = value_of(&second, "llm_health_last_check_timestamp_seconds", &t).unwrap();
        assert!(
            now - 30.0 < last && last <= now + 1.0,
            "{target}: last check at {last}, now {now}"
        );
        // Labels that can change are on the info metric only.
        let info: Vec<_> = second
            .iter()
            .filter(|s| s.name == "llm_health_target_info" && s.has(&t))
            .collect();
        assert_eq!(info.len(), 1, "{target}\n{text}");
        assert_eq!(info[0].value, 1.0);
        for s in second
            .iter()
            .filter(|s| s.has(&t) && s.name != "llm_health_target_info")
        {
            assert!(
                s.labels.iter().all(|(k, _)| [
                    "target",
                    "class",
                    "le",
                    "status",
                    "window",
                    "percentile"
                ]
                .contains(&k.as_str())),
                "{s:?}"
            );
        }
    }
    assert!(value_of(
        &second,
        "llm_health_target_info",
        &[
            ("target", "broken"),
            ("name", "Broken \"box\""),
            ("kind", "ollama")
        ]
    )
    .is_some());
    assert_eq!(
        value_of(&second, "llm_health_metrics_lagged_updates_total", &[]),
        Some(0.0)
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
        "llm_health_target_info",
        "llm_health_uptime_ratio",
        "llm_health_latency_24h_seconds",
        "llm_health_score",
        "llm_health_consecutive_failures",
        "llm_health_checks_total",
        "llm_health_check_failures_total",
        "llm_health_probe_duration_seconds_bucket",
        "llm_health_last_check_timestamp_seconds",
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
    let histogram = "# HELP h A.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n";
    let s = parse_exposition(histogram);
    assert_eq!(s.len(), 4);
    assert_eq!(s[1].labels[0], ("le".into(), "+Inf".into()));
    for bad in [
        "m 1\n",                                          // no HELP/TYPE
        "# HELP h A.\n# TYPE h histogram\nh_bucket 1\n",  // a bucket without le
        "# HELP h A.\n# TYPE h histogram\nh 1\n",         // a histogram's bare name
        "# HELP m A.\n# TYPE m gauge\nm_sum 1\n",         // a suffix a gauge has not
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
