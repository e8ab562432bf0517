//! The wire types' TypeScript declarations (ts-rs) and OpenAPI schemas (utoipa) against the
//! page's shapes (`ui/src/types.ts`) and against what serde really writes.
//! `cargo test -p monitor --test wire_types -- --nocapture` prints the declarations.

use chrono::{DateTime, Utc};
use monitor::engine::{Snapshot, TargetView};
use monitor::probe::KeyOrigin;
use monitor::round::TestResult;
use monitor::{
    Check, Class, ComponentStatus, Credits, Details, Event, Incident, Indicator, Kind, LoadedModel,
    Outcome, ProbeLevel, ProviderIncident, ProviderStatus, RateLimit, ServerLoad, Status, TokenUse,
    Transition,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use ts_rs::TS;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// The declaration without doc comments, on one line.
fn decl<T: TS>() -> String {
    let full = T::decl(&ts_rs::Config::default());
    println!("{full}\n");
    let mut bare = String::new();
    let mut rest = full.as_str();
    while let Some(start) = rest.find("/**") {
        bare.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated doc comment");
        rest = &rest[start + end + 2..];
    }
    bare.push_str(rest);
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn typescript_matches_the_page() {
    let cases = [
        (
            decl::<Status>(),
            r#"type Status = "healthy" | "degraded" | "unhealthy" | "unknown";"#,
        ),
        (
            decl::<Class>(),
            r#"type Class = "ok" | "slow" | "timeout" | "connect" | "tls" | "auth" | "quota" | "rate_limited" | "overloaded" | "server_error" | "not_found" | "bad_response" | "loading" | "credits_low";"#,
        ),
        (
            decl::<Kind>(),
            r#"type Kind = "ollama" | "lmstudio" | "openai" | "anthropic" | "gemini" | "openai_compatible" | "llamacpp" | "vllm";"#,
        ),
        (
            decl::<ProbeLevel>(),
            r#"type ProbeLevel = "reachable" | "inference";"#,
        ),
        (
            decl::<KeyOrigin>(),
            r#"type KeyOrigin = "keyring" | "env" | "missing" | "not_needed";"#,
        ),
        (
            decl::<LoadedModel>(),
            "type LoadedModel = { name: string, size_bytes?: number, vram_bytes?: number, \
             vram_share?: number, expires_at?: string, context_length?: number, };",
        ),
        (
            decl::<RateLimit>(),
            "type RateLimit = { requests_limit?: number, requests_remaining?: number, \
             requests_reset_ms?: number, tokens_limit?: number, tokens_remaining?: number, \
             tokens_reset_ms?: number, };",
        ),
        (
            decl::<TokenUse>(),
            "type TokenUse = { input: number, output: number, };",
        ),
        (
            decl::<Details>(),
            "type Details = { server_version?: string, models?: Array<string>, models_total?: number, \
             loaded_models?: Array<LoadedModel>, rate_limit?: RateLimit, retry_after_ms?: number, \
             ttft_ms?: number, tokens_per_second?: number, tokens?: TokenUse, \
             probed_model?: string, skipped?: string, provider_status?: ProviderStatus, \
             credits?: Credits, server_load?: ServerLoad, };",
        ),
        (
            decl::<ProviderStatus>(),
            "type ProviderStatus = { provider?: string, page?: string, indicator?: Indicator, \
             description?: string, component?: string, component_status?: ComponentStatus, \
             incidents: Array<ProviderIncident>, };",
        ),
        (
            decl::<ProviderIncident>(),
            "type ProviderIncident = { id?: string, name: string, impact?: string, \
             status?: string, started_at?: string, url?: string, };",
        ),
        (
            decl::<Indicator>(),
            r#"type Indicator = "none" | "minor" | "major" | "critical";"#,
        ),
        (
            decl::<ComponentStatus>(),
            r#"type ComponentStatus = "operational" | "degraded_performance" | "partial_outage" | "major_outage" | "under_maintenance" | "unknown";"#,
        ),
        (
            decl::<Credits>(),
            "type Credits = { remaining?: number, limit?: number, usage?: number, unit: string, };",
        ),
        (
            decl::<ServerLoad>(),
            "type ServerLoad = { running?: number, waiting?: number, kv_cache_used?: number, };",
        ),
        (
            decl::<Outcome>(),
            "type Outcome = { at: string, class: Class, http_status: number | null, \
             latency_ms: number, message: string, details: Details, };",
        ),
        (
            decl::<Transition>(),
            "type Transition = { target: string, at: string, from: Status, to: Status, \
             class: Class, reason: string, };",
        ),
        (
            decl::<Incident>(),
            "type Incident = { target: string, started_at: string, ended_at: string | null, \
             duration_ms: number | null, worst: Status, cause: Class, message: string, };",
        ),
        (
            decl::<Check>(),
            "type Check = { target: string, outcome: Outcome, status: Status, score: number, \
             consecutive_failures: number, };",
        ),
        (
            decl::<Event>(),
            r#"type MonitorEvent = { "type": "checked" } & Check | { "type": "transition" } & Transition | { "type": "incident" } & Incident | { "type": "slept", from: string, to: string, };"#,
        ),
        (
            decl::<TargetView>(),
            "type TargetView = { id: string, name: string, kind: Kind, enabled: boolean, \
             status: Status, since: string | null, score: number | null, \
             consecutive_failures: number, checking: boolean, next_check_at: string | null, \
             last: Outcome | null, };",
        ),
        (
            decl::<Snapshot>(),
            "type Snapshot = { paused: boolean, overall: Status, targets: Array<TargetView>, };",
        ),
        (
            decl::<TestResult>(),
            "type TestResult = { status: Status, outcome: Outcome, };",
        ),
    ];
    for (got, want) in cases {
        let want = want.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(got, want);
    }
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn bare_outcome() -> Outcome {
    Outcome {
        at: at(0),
        class: Class::Connect,
        http_status: None,
        latency_ms: 3,
        message: "connection refused".into(),
        details: Details::default(),
    }
}

fn full_outcome() -> Outcome {
    Outcome {
        at: at(0),
        class: Class::Ok,
        http_status: Some(200),
        latency_ms: 120,
        message: String::new(),
        details: Details {
            server_version: Some("0.5.1".into()),
            models: vec!["llama3.2".into()],
            models_total: Some(250),
            loaded_models: vec![LoadedModel {
                name: "llama3.2".into(),
                size_bytes: Some(2_000_000_000),
                vram_bytes: Some(1_000_000_000),
                vram_share: Some(0.5),
                expires_at: Some("2024-03-01T00:00:00Z".into()),
                context_length: Some(8192),
            }],
            rate_limit: Some(RateLimit {
                requests_limit: Some(100),
                requests_remaining: Some(99),
                requests_reset_ms: Some(1000),
                tokens_limit: Some(10_000),
                tokens_remaining: Some(9_000),
                tokens_reset_ms: Some(2000),
            }),
            retry_after_ms: Some(5000),
            ttft_ms: Some(80),
            tokens_per_second: Some(42.0),
            tokens: Some(TokenUse {
                input: 5,
                output: 1,
            }),
            probed_model: Some("llama3.2".into()),
            skipped: Some("no model loaded".into()),
            provider_status: Some(ProviderStatus {
                provider: Some("OpenAI".into()),
                page: Some("https://status.openai.com".into()),
                indicator: Some(Indicator::Minor),
                description: Some("Partially Degraded Service".into()),
                component: Some("API".into()),
                component_status: Some(ComponentStatus::DegradedPerformance),
                incidents: vec![ProviderIncident {
                    id: Some("x1".into()),
                    name: "Elevated error rates".into(),
                    impact: Some("minor".into()),
                    status: Some("investigating".into()),
                    started_at: Some(at(0)),
                    url: Some("https://stspg.io/x1".into()),
                }],
            }),
            credits: Some(Credits {
                remaining: Some(2.1),
                limit: Some(10.0),
                usage: Some(7.9),
                unit: "USD".into(),
            }),
            server_load: Some(ServerLoad {
                running: Some(3),
                waiting: Some(0),
                kv_cache_used: Some(0.42),
            }),
        },
    }
}

fn incident(ended: bool) -> Incident {
    Incident {
        target: "t".into(),
        started_at: at(0),
        ended_at: ended.then(|| at(90)),
        worst: Status::Unhealthy,
        cause: Class::Timeout,
        message: "timed out".into(),
    }
}

fn view(last: Option<Outcome>) -> TargetView {
    let known = last.is_some();
    TargetView {
        id: "t".into(),
        name: "T".into(),
        kind: Kind::Ollama,
        enabled: true,
        status: Status::Healthy,
        since: known.then(|| at(0)),
        score: known.then_some(1.0),
        consecutive_failures: 0,
        checking: false,
        next_check_at: known.then(|| at(30)),
        last: last.map(Arc::new),
    }
}

/// The schema as JSON, with every `$ref` it holds.
fn json_of(schema: RefOr<Schema>) -> Value {
    serde_json::to_value(schema).unwrap()
}

fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.trim_start_matches("#/components/schemas/").to_string());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// What serde writes fits the object schema: every key is a property, every required property
/// is written, a null only where the schema allows it.
fn fits(schema: &Value, value: &Value) {
    let props = schema["properties"].as_object().expect("an object schema");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default();
    let written = value.as_object().expect("an object");
    for (key, v) in written {
        let prop = props
            .get(key)
            .unwrap_or_else(|| panic!("`{key}` is written but not in the schema {schema}"));
        if v.is_null() {
            let nullable = prop["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("null")))
                || prop["oneOf"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|s| s["type"] == "null"));
            assert!(
                nullable,
                "`{key}` is written as null, the schema says {prop}"
            );
        }
    }
    for key in &required {
        assert!(
            written.contains_key(*key),
            "`{key}` is required, not written: {value}"
        );
    }
    for key in props.keys() {
        if !required.contains(&key.as_str()) {
            // Optional in the schema: serde leaves it out at least sometimes (checked by the
            // bare samples), never writes it always as null.
            assert!(
                written.get(key).is_none_or(|v| !v.is_null()),
                "`{key}` is always written (as null here): it should be required"
            );
        }
    }
}

fn sample<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn openapi_schemas_describe_what_serde_writes() {
    let cases: Vec<(Value, Vec<Value>)> = vec![
        (
            json_of(LoadedModel::schema()),
            vec![
                sample(&full_outcome().details.loaded_models[0]),
                sample(&LoadedModel::default()),
            ],
        ),
        (
            json_of(RateLimit::schema()),
            vec![
                sample(full_outcome().details.rate_limit.as_ref().unwrap()),
                sample(&RateLimit::default()),
            ],
        ),
        (
            json_of(Details::schema()),
            vec![sample(&full_outcome().details), sample(&Details::default())],
        ),
        (
            json_of(Outcome::schema()),
            vec![sample(&full_outcome()), sample(&bare_outcome())],
        ),
        (
            json_of(Incident::schema()),
            vec![sample(&incident(true)), sample(&incident(false))],
        ),
        (
            json_of(TargetView::schema()),
            vec![sample(&view(Some(full_outcome()))), sample(&view(None))],
        ),
        (
            json_of(Check::schema()),
            vec![sample(&Check {
                target: "t".into(),
                outcome: bare_outcome(),
                status: Status::Degraded,
                score: 0.8,
                consecutive_failures: 1,
            })],
        ),
        (
            json_of(TestResult::schema()),
            vec![sample(&TestResult {
                status: Status::Unhealthy,
                outcome: bare_outcome(),
            })],
        ),
    ];
    for (schema, values) in &cases {
        for value in values {
            fits(schema, value);
        }
    }
    // Skipped when `None` (never null); written as null when `None`.
    let details = json_of(Details::schema());
    assert_eq!(details["properties"]["ttft_ms"]["type"], "integer");
    let incident_schema = json_of(Incident::schema());
    assert_eq!(
        incident_schema["properties"]["duration_ms"]["type"],
        json!(["integer", "null"])
    );
    // Exactly the keys the hand-written `Serialize` writes.
    let mut described: Vec<&String> = incident_schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    described.sort();
    let written = sample(&incident(true));
    let mut written: Vec<&String> = written.as_object().unwrap().keys().collect();
    written.sort();
    assert_eq!(described, written);
}

#[test]
fn the_event_is_a_tagged_union_named_monitor_event() {
    assert_eq!(<Event as ToSchema>::name(), "MonitorEvent");
    assert_eq!(
        <Event as TS>::name(&ts_rs::Config::default()),
        "MonitorEvent"
    );
    assert_eq!(<Incident as ToSchema>::name(), "Incident");
    let event = json_of(Event::schema());
    let variants = event["oneOf"].as_array().unwrap();
    let tags: Vec<&Value> = variants
        .iter()
        .map(|v| match v.get("allOf") {
            Some(all) => &all[1]["properties"]["type"]["enum"][0],
            None => &v["properties"]["type"]["enum"][0],
        })
        .collect();
    assert_eq!(tags, ["checked", "transition", "incident", "slept"]);
    let slept = sample(&Event::Slept {
        from: at(0),
        to: at(60),
    });
    fits(&variants[3], &slept);
    let checked = sample(&Event::Checked(Check {
        target: "t".into(),
        outcome: bare_outcome(),
        status: Status::Degraded,
        score: 0.8,
        consecutive_failures: 2,
    }));
    assert_eq!(checked["type"], "checked");
    assert_eq!(checked["consecutive_failures"], 2);
}

/// Every `$ref` in every schema names a schema that `ToSchema::schemas` collects (no reference to
/// a type alias such as `TargetId`, or to a type utoipa cannot see).
#[test]
fn every_reference_resolves() {
    fn collect<T: ToSchema>(named: &mut Vec<(String, RefOr<Schema>)>) -> (String, RefOr<Schema>) {
        T::schemas(named);
        (T::name().into_owned(), T::schema())
    }
    let mut named = Vec::new();
    let roots = [
        collect::<Status>(&mut named),
        collect::<Class>(&mut named),
        collect::<Kind>(&mut named),
        collect::<ProbeLevel>(&mut named),
        collect::<KeyOrigin>(&mut named),
        collect::<LoadedModel>(&mut named),
        collect::<RateLimit>(&mut named),
        collect::<TokenUse>(&mut named),
        collect::<Details>(&mut named),
        collect::<Outcome>(&mut named),
        collect::<Transition>(&mut named),
        collect::<Incident>(&mut named),
        collect::<Check>(&mut named),
        collect::<Event>(&mut named),
        collect::<TargetView>(&mut named),
        collect::<Snapshot>(&mut named),
        collect::<TestResult>(&mut named),
    ];
    let mut known: BTreeSet<String> = roots.iter().map(|(n, _)| n.clone()).collect();
    known.extend(named.iter().map(|(n, _)| n.clone()));
    let mut used = BTreeSet::new();
    for (name, schema) in roots.into_iter().chain(named) {
        let json = json_of(schema);
        println!("{name}: {json}\n");
        refs(&json, &mut used);
    }
    let dangling: Vec<&String> = used.difference(&known).collect();
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
}
