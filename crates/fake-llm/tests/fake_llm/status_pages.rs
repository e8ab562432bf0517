use std::collections::BTreeSet;

use chrono::{TimeDelta, Utc};
use fake_llm::{FakeIncident, FakeServer, Fault, Flavor};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{get, start, Reply};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn ids(components: &Value) -> BTreeSet<String> {
    components
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

async fn doc(s: &FakeServer, name: &str) -> Reply {
    get(&format!("{}/api/v2/{name}", s.base_url()), &[]).await
}

fn outage(id: &str, component: &str) -> FakeIncident {
    FakeIncident {
        id: id.to_owned(),
        name: "Elevated errors on the API".to_owned(),
        status: "investigating".to_owned(),
        impact: "major".to_owned(),
        started_at: Utc::now() - TimeDelta::minutes(12),
        component_ids: vec![component.to_owned()],
    }
}

#[tokio::test]
async fn statuspage_documents_have_statuspage_shapes() {
    let s = start(Flavor::Statuspage).await;
    assert_eq!(s.base_url(), s.url());
    let v = doc(&s, "status.json").await.json();
    assert_eq!(
        keys(&v["page"]),
        set(&["id", "name", "url", "time_zone", "updated_at"])
    );
    assert_eq!(v["status"]["indicator"], "none");
    assert_eq!(v["status"]["description"], "All Systems Operational");

    let v = doc(&s, "components.json").await.json();
    let c = &v["components"][0];
    assert_eq!(
        keys(c),
        set(&[
            "id",
            "name",
            "status",
            "created_at",
            "updated_at",
            "position",
            "description",
            "showcase",
            "start_date",
            "group_id",
            "page_id",
            "group",
            "only_show_if_degraded",
        ])
    );
    assert_eq!(c["id"], "k8w3r06qmzrp");
    assert_eq!(c["name"], "Claude API");
    assert_eq!(c["status"], "operational");
    assert!(ids(&v["components"]).is_superset(&set(&["yyzkbfz2thpt", "0qbwn08sd68x"])));

    let v = doc(&s, "incidents/unresolved.json").await.json();
    assert_eq!(v["incidents"], serde_json::json!([]));
    let v = doc(&s, "scheduled-maintenances/upcoming.json").await.json();
    assert!(v["scheduled_maintenances"].is_array());

    s.set_components(&[
        ("k8w3r06qmzrp", "Claude API", "operational"),
        ("yyzkbfz2thpt", "claude.ai", "degraded_performance"),
    ]);
    s.set_incidents(&[
        outage("8f7xm3q9lz2c", "k8w3r06qmzrp"),
        FakeIncident {
            status: "resolved".to_owned(),
            impact: "critical".to_owned(),
            ..outage("old1", "k8w3r06qmzrp")
        },
    ]);
    let v = doc(&s, "incidents/unresolved.json").await.json();
    let incidents = v["incidents"].as_array().cloned().unwrap_or_default();
    assert_eq!(incidents.len(), 1, "resolved ones are left out");
    let i = &incidents[0];
    assert_eq!(
        keys(i),
        set(&[
            "id",
            "name",
            "status",
            "created_at",
            "updated_at",
            "monitoring_at",
            "resolved_at",
            "impact",
            "shortlink",
            "started_at",
            "page_id",
            "incident_updates",
            "components",
        ])
    );
    assert_eq!(i["id"], "8f7xm3q9lz2c");
    assert_eq!(i["status"], "investigating");
    assert_eq!(i["impact"], "major");
    assert!(i["resolved_at"].is_null());
    assert_eq!(i["shortlink"], "https://stspg.io/8f7xm3q9lz2c");
    assert!(i["started_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let u = &i["incident_updates"][0];
    for k in [
        "id",
        "status",
        "body",
        "incident_id",
        "created_at",
        "updated_at",
        "display_at",
    ] {
        assert!(!u[k].is_null(), "update field {k}");
    }
    let a = &u["affected_components"][0];
    assert_eq!(a["code"], "k8w3r06qmzrp");
    assert_eq!(a["name"], "Claude API");
    assert!(a["old_status"].is_string() && a["new_status"].is_string());
    assert_eq!(i["components"][0]["id"], "k8w3r06qmzrp");

    let v = doc(&s, "summary.json").await.json();
    assert_eq!(
        keys(&v),
        set(&[
            "page",
            "components",
            "incidents",
            "scheduled_maintenances",
            "status"
        ])
    );
    assert_eq!(v["components"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["incidents"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        v["status"]["indicator"], "major",
        "the worst of components and incidents"
    );
    assert_eq!(s.hits("/api/v2/summary.json"), 1);
    assert_eq!(s.hits("/api/v2/incidents/unresolved.json"), 2);
    assert!(s.model_loads().is_empty());
}

/// ETag and Last-Modified on every document, 304 for a client that has it, and new
/// validators after a change (but not after a non-change).
async fn conditional_gets(flavor: Flavor) {
    let s = start(flavor).await;
    let url = format!("{}/api/v2/components.json", s.url());
    let first = get(&url, &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").map(str::to_owned).unwrap_or_default();
    let modified = first
        .header("last-modified")
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "{etag}"
    );
    assert!(modified.ends_with(" GMT"), "{modified}");
    assert_eq!(
        get(&url, &[]).await.header("etag"),
        Some(etag.as_str()),
        "stable"
    );

    let r = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.text, "");
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = get(&url, &[("if-modified-since", &modified)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = get(
        &url,
        &[
            ("if-none-match", "\"other\""),
            ("if-modified-since", &modified),
        ],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "If-None-Match wins over If-Modified-Since"
    );

    let all = first.json()["components"].clone();
    let same: Vec<(String, String, String)> = all
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let f = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (f("id"), f("name"), f("status"))
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str)> = same
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    s.set_components(&borrowed);
    let r = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_MODIFIED,
        "the same list is no change"
    );

    let mut changed = borrowed.clone();
    changed[0].2 = "major_outage";
    s.set_components(&changed);
    let r = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let new_etag = r.header("etag").map(str::to_owned).unwrap_or_default();
    assert_ne!(new_etag, etag);
    assert_eq!(r.json()["components"][0]["status"], "major_outage");
    let r = get(&url, &[("if-modified-since", &modified)]).await;
    assert_eq!(r.status, StatusCode::OK, "modified since");
    assert_ne!(r.header("last-modified"), Some(modified.as_str()));
    let status = get(&format!("{}/api/v2/status.json", s.url()), &[])
        .await
        .json();
    assert_eq!(status["status"]["indicator"], "critical");
    assert_eq!(status["status"]["description"], "Major System Outage");

    let before = get(&url, &[]).await.header("etag").map(str::to_owned);
    s.set_incidents(&[outage("inc1", borrowed[1].0)]);
    let after = get(&url, &[]).await.header("etag").map(str::to_owned);
    assert_ne!(
        before, after,
        "any change moves every document's validators"
    );
    assert!(s.hits("/api/v2/components.json") >= 8);
}

#[tokio::test]
async fn statuspage_conditional_gets() {
    conditional_gets(Flavor::Statuspage).await;
}

#[tokio::test]
async fn incidentio_conditional_gets() {
    conditional_gets(Flavor::Incidentio).await;
}

#[tokio::test]
async fn incidentio_differs_where_incident_io_does() {
    let s = start(Flavor::Incidentio).await;
    let v = doc(&s, "components.json").await.json();
    assert_eq!(keys(&v["page"]), set(&["id", "name", "url", "updated_at"]));
    let c = &v["components"][0];
    assert_eq!(c["id"], "01JMXBRMFE6N2NNT7DG6XZQ6PW");
    assert_eq!(c["name"], "API");
    assert!(c.get("showcase").is_none() && c.get("start_date").is_none());
    assert!(c["status"].is_string() && c["position"].is_u64());

    s.set_incidents(&[outage(
        "01JXK2Q8R5ZP0V4F8M3N6T9W1B",
        "01JMXBRMFE7J6W3X1H9B0W5QYC",
    )]);
    let v = doc(&s, "incidents/unresolved.json").await.json();
    let page_url = v["page"]["url"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        v["incidents"][0]["shortlink"],
        format!("{page_url}/incidents/01JXK2Q8R5ZP0V4F8M3N6T9W1B")
    );
    assert_eq!(v["incidents"][0]["components"][0]["name"], "ChatGPT");
}

#[tokio::test]
async fn incidentio_summary_rotates_a_part_of_the_components() {
    let s = start(Flavor::Incidentio).await;
    let all = ids(&doc(&s, "components.json").await.json()["components"]);
    assert!(all.len() >= 6);
    assert_eq!(
        ids(&doc(&s, "components.json").await.json()["components"]),
        all
    );

    let mut seen = BTreeSet::new();
    let mut parts = Vec::new();
    for _ in 0..4 {
        let v = doc(&s, "summary.json").await.json();
        let part = ids(&v["components"]);
        assert!(!part.is_empty() && part.len() < all.len(), "{part:?}");
        assert!(part.is_subset(&all));
        seen.extend(part.iter().cloned());
        parts.push(part);
    }
    assert_ne!(parts[0], parts[1], "which ones rotates");
    assert_eq!(seen, all, "every component shows up sooner or later");

    // The status still counts components the summary leaves out.
    let hidden: Vec<String> = all.difference(&parts[2]).cloned().collect();
    let list: Vec<(String, String)> = doc(&s, "components.json").await.json()["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let f = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (f("id"), f("name"))
        })
        .collect();
    let changed: Vec<(&str, &str, &str)> = list
        .iter()
        .map(|(id, name)| {
            let status = if hidden.first() == Some(id) {
                "partial_outage"
            } else {
                "operational"
            };
            (id.as_str(), name.as_str(), status)
        })
        .collect();
    s.set_components(&changed);
    for _ in 0..2 {
        let v = doc(&s, "summary.json").await.json();
        assert_eq!(v["status"]["indicator"], "major");
    }
    assert_eq!(s.hits("/api/v2/summary.json"), 6);
}

#[tokio::test]
async fn status_page_faults_and_errors() {
    let s = start(Flavor::Statuspage).await;
    s.push_faults([Fault::Status(503)]);
    let r = doc(&s, "status.json").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    let r = doc(&s, "nope.json").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    s.set_api_key(Some("never asked for"));
    assert_eq!(doc(&s, "status.json").await.status, StatusCode::OK);

    let s = start(Flavor::Incidentio).await;
    s.push_faults([Fault::Status(503)]);
    let r = doc(&s, "summary.json").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["status"], 503);
    assert!(r.json()["errors"][0]["message"].is_string());
    assert_eq!(
        s.hits("/api/v2/summary.json"),
        1,
        "faulted requests count too"
    );
}

#[tokio::test]
async fn no_context_flavor_loads_a_model() {
    for flavor in [
        Flavor::Llamacpp,
        Flavor::Vllm,
        Flavor::Openrouter,
        Flavor::Deepseek,
        Flavor::Statuspage,
        Flavor::Incidentio,
    ] {
        let s = start(flavor).await;
        let body = serde_json::json!({"model": flavor.default_models().first().copied().unwrap_or("x"), "messages": [{"role": "user", "content": "hi"}]});
        let path = match flavor {
            Flavor::Openrouter => "/api/v1/chat/completions",
            Flavor::Deepseek => "/chat/completions",
            _ => "/v1/chat/completions",
        };
        let r = crate::support::post(&format!("{}{path}", s.url()), &[], &body).await;
        if !matches!(flavor, Flavor::Statuspage | Flavor::Incidentio) {
            assert_eq!(r.status, StatusCode::OK, "{flavor}: {}", r.text);
        }
        assert!(s.model_loads().is_empty(), "{flavor}");
        assert!(s.loaded_models().is_empty(), "{flavor}");
    }
}
