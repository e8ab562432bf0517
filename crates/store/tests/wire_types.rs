//! The views' TypeScript declarations (ts-rs) and OpenAPI schemas (utoipa) against the page's
//! shapes (`ui/src/types.ts`) and against what serde really writes.
//! `cargo test -p store --test wire_types -- --nocapture` prints the declarations.

use chrono::{DateTime, Utc};
use monitor::{Class, Incident, Kind, Status};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use store::{
    Beat, History, HistoryView, IncidentArgs, LatencyPoint, ProviderIncidentSpan, Range, Segment,
    TimelineView, WindowArgs,
};
use ts_rs::TS;
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

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
            decl::<Range>(),
            r#"type Range = "1h" | "6h" | "24h" | "7d" | "30d";"#,
        ),
        (
            decl::<Segment>(),
            "type Segment = { from: string, to: string, status: Status, };",
        ),
        (
            decl::<LatencyPoint>(),
            "type LatencyPoint = { from: string, to: string, checks: number, failures: number, \
             p50_ms: number | null, p90_ms: number | null, };",
        ),
        (
            decl::<History>(),
            "type History = { target: string, from: string, to: string, \
             uptime_pct: number | null, checks: number, failures: number, \
             error_rate: number | null, p50_ms: number | null, p90_ms: number | null, \
             p99_ms: number | null, segments: Array<Segment>, incidents: Array<Incident>, };",
        ),
        (
            decl::<HistoryView>(),
            "type HistoryView = { name: string, kind: Kind, latency: Array<LatencyPoint>, \
             target: string, from: string, to: string, uptime_pct: number | null, \
             checks: number, failures: number, error_rate: number | null, \
             p50_ms: number | null, p90_ms: number | null, p99_ms: number | null, \
             segments: Array<Segment>, incidents: Array<Incident>, };",
        ),
        (
            decl::<TimelineView>(),
            "type TimelineView = { from: string, to: string, targets: Array<HistoryView>, \
             maintenance: Array<MaintenanceBand>, \
             provider_incidents: Array<ProviderIncidentSpan>, };",
        ),
        (
            decl::<ProviderIncidentSpan>(),
            "type ProviderIncidentSpan = { target: string, provider: string, id?: string, \
             name: string, impact?: string, status?: string, started_at: string, \
             ended_at: string | null, url?: string, };",
        ),
        (
            decl::<Beat>(),
            "type Beat = { at: string, class: Class, status: Status, latency_ms: number, };",
        ),
        (
            decl::<WindowArgs>(),
            "type RangeArgs = { range?: Range, from?: string, to?: string, buckets?: number, };",
        ),
        (
            decl::<IncidentArgs>(),
            "type IncidentArgs = { target?: string | null, range?: Range, limit?: number, };",
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

fn history(known: bool) -> History {
    History {
        target: "t".into(),
        from: at(0),
        to: at(3600),
        uptime_pct: known.then_some(99.5),
        checks: if known { 120 } else { 0 },
        failures: if known { 1 } else { 0 },
        error_rate: known.then_some(1.0 / 120.0),
        p50_ms: known.then_some(40),
        p90_ms: known.then_some(80),
        p99_ms: known.then_some(200),
        segments: vec![Segment {
            from: at(0),
            to: at(3600),
            status: if known {
                Status::Healthy
            } else {
                Status::Unknown
            },
        }],
        incidents: known
            .then(|| Incident {
                target: "t".into(),
                started_at: at(60),
                ended_at: Some(at(120)),
                worst: Status::Degraded,
                cause: Class::Slow,
                message: "slow".into(),
            })
            .into_iter()
            .collect(),
    }
}

fn view(known: bool) -> HistoryView {
    HistoryView {
        history: history(known),
        name: "T".into(),
        kind: Kind::Openai,
        latency: vec![LatencyPoint {
            from: at(0),
            to: at(3600),
            checks: if known { 120 } else { 0 },
            failures: if known { 1 } else { 0 },
            p50_ms: known.then_some(40),
            p90_ms: known.then_some(80),
        }],
    }
}

fn sample<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// Every schema `T` needs, by name, itself included.
fn named<T: ToSchema>(into: &mut Vec<(String, RefOr<Schema>)>) {
    T::schemas(into);
    into.push((T::name().into_owned(), T::schema()));
}

/// An object schema with `allOf` parts (a `#[serde(flatten)]`) merged, references resolved.
fn object(schema: &Value, named: &[(String, Value)]) -> (Vec<String>, Vec<(String, Value)>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let (_, target) = named
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no schema {name}"));
        return object(target, named);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let (mut required, mut props) = (Vec::new(), Vec::new());
        for part in parts {
            let (r, p) = object(part, named);
            required.extend(r);
            props.extend(p);
        }
        return (required, props);
    }
    let required = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    let props = schema["properties"]
        .as_object()
        .expect("an object schema")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (required, props)
}

/// What serde writes fits the object schema: every key is a property, every required property
/// is written, a null only where the schema allows it, and a property serde always writes
/// (here as null) is required.
fn fits(schema: &Value, named: &[(String, Value)], value: &Value) {
    let (required, props) = object(schema, named);
    let written = value.as_object().expect("an object");
    for (key, v) in written {
        let (_, prop) = props
            .iter()
            .find(|(k, _)| k == key)
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
            assert!(
                required.contains(key),
                "`{key}` is always written: it should be required"
            );
        }
    }
    for key in &required {
        assert!(
            written.contains_key(key),
            "`{key}` is required, not written: {value}"
        );
    }
}

#[test]
fn openapi_schemas_describe_what_serde_writes() {
    let mut all = Vec::new();
    named::<TimelineView>(&mut all);
    named::<WindowArgs>(&mut all);
    named::<IncidentArgs>(&mut all);
    named::<Beat>(&mut all);
    let all: Vec<(String, Value)> = all
        .into_iter()
        .map(|(n, s)| (n, serde_json::to_value(s).unwrap()))
        .collect();
    let schema = |name: &str| all.iter().find(|(n, _)| n == name).unwrap().1.clone();
    for known in [true, false] {
        fits(&schema("HistoryView"), &all, &sample(&view(known)));
        fits(&schema("History"), &all, &sample(&history(known)));
        fits(
            &schema("LatencyPoint"),
            &all,
            &sample(&view(known).latency[0]),
        );
        fits(
            &schema("Segment"),
            &all,
            &sample(&history(known).segments[0]),
        );
        fits(
            &schema("TimelineView"),
            &all,
            &sample(&TimelineView {
                from: at(0),
                to: at(3600),
                targets: vec![view(known)],
                maintenance: vec![monitor::config::MaintenanceBand {
                    targets: Some(vec!["ollama".into()]),
                    name: Some("upgrade".into()),
                    start: at(60),
                    end: at(120),
                    snooze: false,
                }],
                provider_incidents: vec![ProviderIncidentSpan {
                    target: "openai".into(),
                    provider: "OpenAI".into(),
                    id: known.then(|| "inc1".into()),
                    name: "Elevated error rates".into(),
                    impact: known.then(|| "minor".into()),
                    status: known.then(|| "investigating".into()),
                    started_at: at(30),
                    ended_at: known.then(|| at(90)),
                    url: known.then(|| "https://status.openai.com/incidents/inc1".into()),
                }],
            }),
        );
        fits(
            &schema("Beat"),
            &all,
            &sample(&Beat {
                at: at(5),
                class: Class::Timeout,
                status: Status::Degraded,
                latency_ms: 10_000,
            }),
        );
    }
    // The page's arguments: every field may be left out, and the UI's camelCase JSON reads.
    assert!(schema("RangeArgs")["required"].is_null());
    assert!(schema("IncidentArgs")["required"].is_null());
    assert_eq!(
        schema("RangeArgs")["properties"]["range"]["oneOf"][0]["$ref"],
        "#/components/schemas/Range"
    );
    // Every reference resolves.
    let mut used = BTreeSet::new();
    for (_, s) in &all {
        refs(s, &mut used);
    }
    let known: BTreeSet<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let dangling: Vec<&String> = used.difference(&known).collect();
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
    for name in ["Incident", "Status", "Class", "Kind", "Range", "History"] {
        assert!(known.contains(name), "{name} is collected: {known:?}");
    }
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

/// ts-rs sees the page's types through the renamed and re-typed fields: `RangeArgs` depends on
/// `Range`, and a flattened `History` adds its own (direct) dependencies.
#[test]
fn typescript_dependencies() {
    let cfg = ts_rs::Config::default();
    let names = |deps: Vec<ts_rs::Dependency>| -> BTreeSet<String> {
        deps.into_iter().map(|d| d.ts_name).collect()
    };
    assert!(names(WindowArgs::dependencies(&cfg)).contains("Range"));
    assert!(names(IncidentArgs::dependencies(&cfg)).contains("Range"));
    let view = names(HistoryView::dependencies(&cfg));
    for name in ["Kind", "LatencyPoint", "Segment", "Incident"] {
        assert!(view.contains(name), "{name} in {view:?}");
    }
}
