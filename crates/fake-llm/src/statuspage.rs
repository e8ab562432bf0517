//! An Atlassian Statuspage v2 public page (`https://status.claude.com/api/v2/...`),
//! and the machinery the incident.io flavor shares with it: components, incidents,
//! the status derived from them, and conditional GETs (`ETag`, `Last-Modified`, 304)
//! so that a monitor polling politely costs almost nothing.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::body;
use crate::models::digest;
use crate::provider::{
    bearer, finish, reason, set_header, status, ApiError, Ctx, Headroom, Provider,
};
use crate::state::AppState;
use crate::Flavor;

pub(crate) struct Statuspage;

/// One incident on a fake status page, as `FakeServer::set_incidents` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIncident {
    pub id: String,
    pub name: String,
    /// investigating, identified, monitoring, resolved or postmortem: the first three
    /// are unresolved, and only those count towards the page's status.
    pub status: String,
    /// none, minor, major, critical or maintenance.
    pub impact: String,
    pub started_at: DateTime<Utc>,
    /// The affected components; ids the page does not have are left out.
    pub component_ids: Vec<String>,
}

/// Who hosts the page, which decides the details of every document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    Atlassian,
    IncidentIo,
}

impl Host {
    pub fn of(flavor: Flavor) -> Host {
        match flavor {
            Flavor::Incidentio => Host::IncidentIo,
            _ => Host::Atlassian,
        }
    }

    fn page_id(self) -> &'static str {
        match self {
            Host::Atlassian => "tymt9n04zgry",
            Host::IncidentIo => "01JMXBRMFD3Q8V5N2K7T4W9XZR",
        }
    }

    fn page_name(self) -> &'static str {
        match self {
            Host::Atlassian => "Claude",
            Host::IncidentIo => "OpenAI",
        }
    }

    fn page_url(self) -> &'static str {
        match self {
            Host::Atlassian => "https://status.claude.com",
            Host::IncidentIo => "https://status.openai.com",
        }
    }

    fn shortlink(self, incident_id: &str) -> String {
        match self {
            Host::Atlassian => format!("https://stspg.io/{incident_id}"),
            Host::IncidentIo => format!("{}/incidents/{incident_id}", self.page_url()),
        }
    }

    fn default_components(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Host::Atlassian => &[
                ("k8w3r06qmzrp", "Claude API", "operational"),
                ("yyzkbfz2thpt", "claude.ai", "operational"),
                ("0qbwn08sd68x", "Console", "operational"),
                ("rwppv331jlwc", "Claude Code", "operational"),
            ],
            // Enough of them that a summary showing half is plainly incomplete.
            Host::IncidentIo => &[
                ("01JMXBRMFE6N2NNT7DG6XZQ6PW", "API", "operational"),
                ("01JMXBRMFE7J6W3X1H9B0W5QYC", "ChatGPT", "operational"),
                ("01JMXBRMFE9Y8C0V2B4N6M8K0P", "Sora", "operational"),
                ("01JMXBRMFEA3C5E7G9J1K3M5N7", "Playground", "operational"),
                ("01JMXBRMFEB2D4F6H8K0M2P4R6", "Login", "operational"),
                ("01JMXBRMFEC7Q9S1T3V5W7X9Z1", "Codex", "operational"),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Component {
    id: String,
    name: String,
    status: String,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
struct Incident {
    spec: FakeIncident,
    updated_at: DateTime<Utc>,
}

/// Everything a status page shows. `updated_at` moves on every change and is the
/// `Last-Modified` of every document.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    host: Host,
    components: Vec<Component>,
    incidents: Vec<Incident>,
    updated_at: DateTime<Utc>,
}

/// Statuspage keeps the date its components were made; any fixed date will do.
const CREATED: &str = "2023-07-11T18:14:23.437Z";

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl Page {
    pub fn new(flavor: Flavor) -> Page {
        let host = Host::of(flavor);
        let now = whole_seconds(Utc::now());
        Page {
            host,
            components: host
                .default_components()
                .iter()
                .map(|(id, name, status)| Component {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    status: (*status).to_owned(),
                    updated_at: now,
                })
                .collect(),
            incidents: Vec::new(),
            updated_at: now,
        }
    }

    /// When the next change happens. HTTP dates have whole seconds, so two changes in
    /// one second would share a `Last-Modified` and a client's `If-Modified-Since` could
    /// miss the second: each change is at least a second after the one before.
    fn next_change(&self) -> DateTime<Utc> {
        whole_seconds(Utc::now()).max(self.updated_at + TimeDelta::seconds(1))
    }

    /// Components whose name and status are unchanged keep their `updated_at`, and a
    /// list equal to the current one is no change at all (the ETag stays).
    pub fn set_components(&mut self, list: &[(&str, &str, &str)]) {
        let at = self.next_change();
        let next: Vec<Component> = list
            .iter()
            .map(|(id, name, status)| {
                let kept = self
                    .components
                    .iter()
                    .find(|c| c.id == *id && c.name == *name && c.status == *status);
                Component {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    status: (*status).to_owned(),
                    updated_at: kept.map_or(at, |c| c.updated_at),
                }
            })
            .collect();
        if next != self.components {
            self.components = next;
            self.updated_at = at;
        }
    }

    pub fn set_incidents(&mut self, list: &[FakeIncident]) {
        let at = self.next_change();
        let next: Vec<Incident> = list
            .iter()
            .map(|spec| {
                let kept = self.incidents.iter().find(|i| i.spec == *spec);
                Incident {
                    spec: spec.clone(),
                    updated_at: kept.map_or(at, |i| i.updated_at),
                }
            })
            .collect();
        if next != self.incidents {
            self.incidents = next;
            self.updated_at = at;
        }
    }

    fn page_json(&self) -> Value {
        let h = self.host;
        match h {
            Host::Atlassian => json!({
                "id": h.page_id(),
                "name": h.page_name(),
                "url": h.page_url(),
                "time_zone": "Etc/UTC",
                "updated_at": stamp(self.updated_at),
            }),
            Host::IncidentIo => json!({
                "id": h.page_id(),
                "name": h.page_name(),
                "url": h.page_url(),
                "updated_at": stamp(self.updated_at),
            }),
        }
    }

    fn component_json(&self, position: usize, c: &Component) -> Value {
        let mut v = json!({
            "id": c.id,
            "name": c.name,
            "status": c.status,
            "created_at": CREATED,
            "updated_at": stamp(c.updated_at),
            "position": position + 1,
            "description": null,
            "showcase": true,
            "start_date": "2023-07-11",
            "group_id": null,
            "page_id": self.host.page_id(),
            "group": false,
            "only_show_if_degraded": false,
        });
        if self.host == Host::IncidentIo {
            if let Some(obj) = v.as_object_mut() {
                obj.remove("showcase");
                obj.remove("start_date");
            }
        }
        v
    }

    fn components_json(&self) -> Vec<Value> {
        self.components
            .iter()
            .enumerate()
            .map(|(i, c)| self.component_json(i, c))
            .collect()
    }

    fn incident_json(&self, inc: &Incident) -> Value {
        let s = &inc.spec;
        let updated = stamp(inc.updated_at);
        let affected: Vec<(usize, &Component)> = s
            .component_ids
            .iter()
            .filter_map(|id| {
                self.components
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.id == *id)
            })
            .collect();
        let update_id = digest(&format!("{}:{}", s.id, s.status))[..12].to_owned();
        let (monitoring_at, resolved_at) = match s.status.as_str() {
            "monitoring" => (json!(updated), Value::Null),
            "resolved" | "postmortem" => (Value::Null, json!(updated)),
            _ => (Value::Null, Value::Null),
        };
        json!({
            "id": s.id,
            "name": s.name,
            "status": s.status,
            "created_at": stamp(s.started_at),
            "updated_at": updated,
            "monitoring_at": monitoring_at,
            "resolved_at": resolved_at,
            "impact": s.impact,
            "shortlink": self.host.shortlink(&s.id),
            "started_at": stamp(s.started_at),
            "page_id": self.host.page_id(),
            "incident_updates": [{
                "id": update_id,
                "status": s.status,
                "body": update_body(&s.status),
                "incident_id": s.id,
                "created_at": updated,
                "updated_at": updated,
                "display_at": updated,
                "affected_components": affected.iter().map(|(_, c)| json!({
                    "code": c.id,
                    "name": c.name,
                    "old_status": "operational",
                    "new_status": c.status,
                })).collect::<Vec<_>>(),
                "deliver_notifications": true,
                "custom_tweet": null,
                "tweet_id": null,
            }],
            "components": affected.iter().map(|(i, c)| self.component_json(*i, c)).collect::<Vec<_>>(),
        })
    }

    /// Newest first, as the pages list them.
    fn incidents_json(&self, unresolved_only: bool) -> Vec<Value> {
        let mut incidents: Vec<&Incident> = self
            .incidents
            .iter()
            .filter(|i| !unresolved_only || unresolved(&i.spec))
            .collect();
        incidents.sort_by_key(|i| std::cmp::Reverse(i.spec.started_at));
        incidents.iter().map(|i| self.incident_json(i)).collect()
    }

    /// The worst of the components and the unresolved incidents.
    fn status_json(&self) -> Value {
        let from_components = self.components.iter().map(|c| match c.status.as_str() {
            "degraded_performance" => 1,
            "partial_outage" => 2,
            "major_outage" => 3,
            _ => 0,
        });
        let from_incidents = self
            .incidents
            .iter()
            .filter(|i| unresolved(&i.spec))
            .map(|i| match i.spec.impact.as_str() {
                "minor" => 1,
                "major" => 2,
                "critical" => 3,
                _ => 0,
            });
        let worst = from_components.chain(from_incidents).max().unwrap_or(0);
        let maintenance = self
            .components
            .iter()
            .any(|c| c.status == "under_maintenance");
        let (indicator, description) = match worst {
            0 if maintenance => ("none", "Service Under Maintenance"),
            0 => ("none", "All Systems Operational"),
            1 => ("minor", "Minor Service Outage"),
            2 => ("major", "Partial System Outage"),
            _ => ("critical", "Major System Outage"),
        };
        json!({"indicator": indicator, "description": description})
    }
}

fn unresolved(spec: &FakeIncident) -> bool {
    !matches!(spec.status.as_str(), "resolved" | "postmortem")
}

fn update_body(status: &str) -> &'static str {
    match status {
        "identified" => "The issue has been identified and a fix is being implemented.",
        "monitoring" => "A fix has been implemented and we are monitoring the results.",
        "resolved" | "postmortem" => "This incident has been resolved.",
        _ => "We are currently investigating this issue.",
    }
}

/// The documents a page serves.
#[derive(Debug, Clone, Copy)]
enum Doc {
    Status,
    Components,
    Incidents,
    Unresolved,
    Summary,
    Maintenances,
}

fn document(app: &AppState, doc: Doc) -> (Value, DateTime<Utc>) {
    let (page, turn) = match doc {
        Doc::Summary => app.page_for_summary(),
        _ => (app.page(), 0),
    };
    let p = page.page_json();
    let v = match doc {
        Doc::Status => json!({"page": p, "status": page.status_json()}),
        Doc::Components => json!({"page": p, "components": page.components_json()}),
        Doc::Incidents => json!({"page": p, "incidents": page.incidents_json(false)}),
        Doc::Unresolved => json!({"page": p, "incidents": page.incidents_json(true)}),
        Doc::Maintenances => json!({"page": p, "scheduled_maintenances": []}),
        Doc::Summary => json!({
            "page": p,
            "components": summary_components(&page, turn),
            "incidents": page.incidents_json(true),
            "scheduled_maintenances": [],
            "status": page.status_json(),
        }),
    };
    (v, page.updated_at)
}

/// incident.io's documented trap: a summary that holds only half of the components,
/// a different half on each request. The status still counts them all.
fn summary_components(page: &Page, turn: u64) -> Vec<Value> {
    let all = page.components_json();
    if page.host == Host::Atlassian || all.len() < 2 {
        return all;
    }
    all.into_iter()
        .enumerate()
        .filter(|(i, _)| (*i as u64) % 2 == turn % 2)
        .map(|(_, v)| v)
        .collect()
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `If-None-Match` compares weakly (RFC 9110), so a `W/` prefix still matches.
fn etag_matches(header: &HeaderValue, etag: &str) -> bool {
    header.to_str().is_ok_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
    })
}

/// `If-Modified-Since` counts only without `If-None-Match`, as HTTP says.
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: DateTime<Utc>) -> bool {
    if let Some(inm) = headers.get(IF_NONE_MATCH) {
        return etag_matches(inm, etag);
    }
    headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| since.with_timezone(&Utc) >= last_modified)
}

/// A JSON document with its validators, or 304 when the client has it already. The
/// ETag hashes the bytes sent, so it is a strong validator: the same state gives the
/// same ETag, any change (or a differently rotated summary) another.
fn conditional(headers: &HeaderMap, value: &Value, last_modified: DateTime<Utc>) -> Response {
    let text = value.to_string();
    let etag = format!("\"{}\"", &digest(&text)[..32]);
    let mut resp = if not_modified(headers, &etag, last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json; charset=utf-8")],
            text,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    set_header(h, ETAG.as_str(), &etag);
    set_header(h, LAST_MODIFIED.as_str(), http_date(last_modified));
    set_header(
        h,
        CACHE_CONTROL.as_str(),
        "max-age=0, private, must-revalidate",
    );
    resp
}

fn doc_route(doc: Doc) -> MethodRouter<Arc<AppState>> {
    get(
        move |State(app): State<Arc<AppState>>, headers: HeaderMap| async move {
            let (value, last_modified) = document(&app, doc);
            conditional(&headers, &value, last_modified)
        },
    )
}

/// The `/api/v2` routes both hosts serve.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    finish(
        Router::new()
            .route("/api/v2/status.json", doc_route(Doc::Status))
            .route("/api/v2/components.json", doc_route(Doc::Components))
            .route("/api/v2/incidents.json", doc_route(Doc::Incidents))
            .route(
                "/api/v2/incidents/unresolved.json",
                doc_route(Doc::Unresolved),
            )
            .route("/api/v2/summary.json", doc_route(Doc::Summary))
            .route(
                "/api/v2/scheduled-maintenances.json",
                doc_route(Doc::Maintenances),
            )
            .route(
                "/api/v2/scheduled-maintenances/upcoming.json",
                doc_route(Doc::Maintenances),
            )
            .route(
                "/api/v2/scheduled-maintenances/active.json",
                doc_route(Doc::Maintenances),
            ),
    )
}

/// Statuspage's CDN and app answer errors with HTML: a monitor must cope with a
/// status page that does not answer in JSON at all.
fn html_error(code: u16) -> Response {
    let text = if code == 404 {
        "The page you were looking for doesn't exist."
    } else {
        reason(code)
    };
    (
        status(code),
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html>\n<html><head><title>{code} {}</title></head>\
             <body><h1>{text}</h1></body></html>\n",
            reason(code)
        ),
    )
        .into_response()
}

impl Provider for Statuspage {
    fn routes(&self) -> Router<Arc<AppState>> {
        routes()
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    /// A public page: no key is ever asked for.
    fn check(&self, _parts: &Parts, _expected: Option<&str>) -> Result<(), ApiError> {
        Ok(())
    }

    fn error(&self, _ctx: &Ctx, err: &ApiError) -> Response {
        match err {
            // What Statuspage's authenticated API says, for the fault that echoes keys.
            ApiError::MissingKey | ApiError::BadKey { .. } => {
                let message = match err {
                    ApiError::BadKey {
                        presented,
                        echo: true,
                    } => format!("Could not authenticate with {presented}"),
                    _ => "Could not authenticate".to_owned(),
                };
                body::json(StatusCode::UNAUTHORIZED, &json!({"error": message}))
            }
            ApiError::RateLimited { .. } | ApiError::Quota => html_error(429),
            ApiError::ModelNotFound(_) | ApiError::NoRoute => html_error(404),
            ApiError::BadRequest(_) => html_error(400),
            ApiError::MethodNotAllowed => html_error(405),
            ApiError::Status(code) => html_error(*code),
        }
    }

    fn decorate(&self, _ctx: &Ctx, headers: &mut HeaderMap, _headroom: Headroom) {
        set_header(headers, "access-control-allow-origin", "*");
        set_header(headers, "vary", "Accept, Origin");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(status: &str, impact: &str) -> FakeIncident {
        FakeIncident {
            id: "abc".into(),
            name: "Elevated errors".into(),
            status: status.into(),
            impact: impact.into(),
            started_at: Utc::now(),
            component_ids: vec!["k8w3r06qmzrp".into()],
        }
    }

    #[test]
    fn status_is_the_worst_of_components_and_open_incidents() {
        let mut page = Page::new(Flavor::Statuspage);
        assert_eq!(page.status_json()["indicator"], "none");
        page.set_incidents(&[incident("resolved", "critical")]);
        assert_eq!(
            page.status_json()["indicator"],
            "none",
            "resolved ones do not count"
        );
        page.set_incidents(&[incident("investigating", "minor")]);
        assert_eq!(page.status_json()["description"], "Minor Service Outage");
        page.set_components(&[("k8w3r06qmzrp", "Claude API", "major_outage")]);
        assert_eq!(page.status_json()["indicator"], "critical");
    }

    #[test]
    fn changes_move_the_clock_and_sameness_does_not() {
        let mut page = Page::new(Flavor::Statuspage);
        let before = page.updated_at;
        let same: Vec<(&str, &str, &str)> = Host::Atlassian.default_components().to_vec();
        page.set_components(&same);
        assert_eq!(page.updated_at, before);
        page.set_components(&[("k8w3r06qmzrp", "Claude API", "partial_outage")]);
        assert!(page.updated_at > before);
    }

    #[test]
    fn etags_compare_weakly() {
        let etag = "\"abc\"";
        for (header, hit) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("*", true),
            ("\"abcd\"", false),
        ] {
            assert_eq!(
                etag_matches(&HeaderValue::from_static(header), etag),
                hit,
                "{header}"
            );
        }
    }
}
