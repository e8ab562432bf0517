//! Providers' own status pages, as context beside the probes (never their verdict): the
//! Statuspage v2 JSON that Atlassian pages and incident.io pages serve alike. Each page is
//! polled at most every [`STATUS_POLL`], once however many targets share it, with
//! `If-None-Match` / `If-Modified-Since`; a target's view picks its component by id, then by
//! name, and says `unknown` when the page has no such component or no known shape.
//!
//! `components.json` rather than `summary.json`: on large incident.io pages the summary holds
//! only some components, and which ones rotates.

use super::http::Http;
use super::lock;
use crate::config::Target;
use crate::domain::{ComponentStatus, Indicator, ProviderIncident, ProviderStatus};
use crate::redact::{Redactor, FIELD_MAX, MESSAGE_MAX};
use chrono::{DateTime, Utc};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How often a status page is read at most.
pub const STATUS_POLL: Duration = Duration::from_secs(300);
/// How long one request to a status page may take: the page is context, and a probe's outcome
/// waits for it.
const PAGE_TIMEOUT: Duration = Duration::from_secs(8);
/// Most incidents an outcome carries.
const INCIDENTS_KEPT: usize = 8;

/// Every status page the targets name, shared by all probes.
#[derive(Default)]
pub(crate) struct StatusPages {
    pages: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Page>>>>,
}

/// What is known of one page.
#[derive(Default)]
struct Page {
    polled_at: Option<Instant>,
    /// The page's own name ("OpenAI").
    name: Option<String>,
    status: Document<(Indicator, Option<String>)>,
    components: Document<Vec<Component>>,
    incidents: Document<Vec<PageIncident>>,
}

/// One JSON document of a page, with the validators to ask for it again.
struct Document<T> {
    etag: Option<String>,
    last_modified: Option<String>,
    value: Option<T>,
}

impl<T> Default for Document<T> {
    fn default() -> Self {
        Document {
            etag: None,
            last_modified: None,
            value: None,
        }
    }
}

#[derive(Debug, Clone)]
struct Component {
    id: String,
    name: String,
    status: ComponentStatus,
}

#[derive(Debug, Clone)]
struct PageIncident {
    incident: ProviderIncident,
    /// The components it affects, by id (its `components` and its updates' `affected_components`).
    components: Vec<String>,
    /// Its components by name, for pages whose updates name them only so.
    component_names: Vec<String>,
}

impl StatusPages {
    /// What `target`'s status page says for it, polling the page first when its last poll is
    /// older than [`STATUS_POLL`]. `None` when the target follows no page.
    pub(crate) async fn status_for(&self, http: &Http, target: &Target) -> Option<ProviderStatus> {
        let root = target.status_page.as_ref()?;
        let key = root.as_str().trim_end_matches('/').to_string();
        let page = {
            let mut pages = lock(&self.pages);
            Arc::clone(pages.entry(key.clone()).or_default())
        };
        // Held across the poll: targets sharing the page wait for its one poll.
        let mut page = page.lock().await;
        if page.polled_at.is_none_or(|at| at.elapsed() >= STATUS_POLL) {
            poll(http, &key, &mut page).await;
            page.polled_at = Some(Instant::now());
        }
        Some(page.view(target, &key))
    }
}

async fn poll(http: &Http, root: &str, page: &mut Page) {
    let Page {
        name,
        status,
        components,
        incidents,
        ..
    } = page;
    let (s, c, i) = tokio::join!(
        refresh(http, root, "api/v2/status.json", status, |json| {
            let status = json.get("status")?;
            let indicator = serde_json::from_value(status.get("indicator")?.clone()).ok()?;
            let description = status
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            Some((indicator, description))
        }),
        refresh(http, root, "api/v2/components.json", components, |json| {
            parse_components(json)
        }),
        refresh(
            http,
            root,
            "api/v2/incidents/unresolved.json",
            incidents,
            parse_incidents
        ),
    );
    if let Some(n) = s.or(c).or(i) {
        *name = Some(n);
    }
}

/// Fetches one document, conditionally when validators are known; keeps the last value on a
/// 304 and on any failure (a page that stops answering is stale, not good news). Returns the
/// page's name when the document says it.
async fn refresh<T>(
    http: &Http,
    root: &str,
    path: &str,
    doc: &mut Document<T>,
    parse: impl Fn(&Value) -> Option<T>,
) -> Option<String> {
    let mut request = http
        .client()
        .get(format!("{root}/{path}"))
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(PAGE_TIMEOUT);
    if let Some(etag) = &doc.etag {
        request = request.header(IF_NONE_MATCH, etag);
    } else if let Some(modified) = &doc.last_modified {
        request = request.header(IF_MODIFIED_SINCE, modified);
    }
    let reply = match http.send(request).await {
        Ok(reply) => reply,
        Err(failure) => {
            tracing::debug!(page = root, path, class = %failure.class, "status page not read");
            return None;
        }
    };
    if reply.status == 304 {
        return None;
    }
    if !(200..300).contains(&reply.status) {
        tracing::debug!(
            page = root,
            path,
            status = reply.status,
            "status page answered"
        );
        doc.value = None;
        return None;
    }
    let header = |name| {
        reply
            .headers
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let json: Option<Value> = serde_json::from_slice(&reply.body).ok();
    doc.value = json.as_ref().and_then(&parse);
    // Validators only for a document understood: a page in an unknown shape is asked whole.
    if doc.value.is_some() {
        doc.etag = header(ETAG);
        doc.last_modified = header(LAST_MODIFIED);
    } else {
        doc.etag = None;
        doc.last_modified = None;
    }
    json.as_ref()
        .and_then(|j| j.pointer("/page/name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn component_status(text: &str) -> ComponentStatus {
    match text {
        "operational" => ComponentStatus::Operational,
        "degraded_performance" => ComponentStatus::DegradedPerformance,
        "partial_outage" => ComponentStatus::PartialOutage,
        "major_outage" => ComponentStatus::MajorOutage,
        "under_maintenance" => ComponentStatus::UnderMaintenance,
        _ => ComponentStatus::Unknown,
    }
}

fn parse_components(json: &Value) -> Option<Vec<Component>> {
    let list = json.get("components")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|c| {
                Some(Component {
                    id: c.get("id")?.as_str()?.to_string(),
                    name: c.get("name")?.as_str()?.to_string(),
                    status: component_status(c.get("status")?.as_str()?),
                })
            })
            .collect(),
    )
}

fn parse_incidents(json: &Value) -> Option<Vec<PageIncident>> {
    let list = json.get("incidents")?.as_array()?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    Some(
        list.iter()
            .filter_map(|i| {
                let name = text(i, "name")?;
                let started_at = ["started_at", "created_at"]
                    .iter()
                    .filter_map(|k| i.get(*k).and_then(Value::as_str))
                    .find_map(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc));
                let mut components = Vec::new();
                let mut component_names = Vec::new();
                for c in i
                    .get("components")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    components.extend(text(c, "id"));
                    component_names.extend(text(c, "name"));
                }
                let updates = i.get("incident_updates").and_then(Value::as_array);
                for u in updates.into_iter().flatten() {
                    let affected = u.get("affected_components").and_then(Value::as_array);
                    for c in affected.into_iter().flatten() {
                        components.extend(text(c, "code"));
                        component_names.extend(text(c, "name"));
                    }
                }
                Some(PageIncident {
                    incident: ProviderIncident {
                        id: text(i, "id"),
                        name,
                        impact: text(i, "impact"),
                        status: text(i, "status"),
                        started_at,
                        url: text(i, "shortlink").filter(|u| u.starts_with("http")),
                    },
                    components,
                    component_names,
                })
            })
            .collect(),
    )
}

/// The page's component for a wanted id or name: the id first, then the name (case aside), then
/// a name that only adds a parenthesis ("Claude API (api.anthropic.com)"). Nothing looser: a
/// wrong component would be a guess presented as the provider's word.
fn find<'a>(components: &'a [Component], wanted: &str) -> Option<&'a Component> {
    let wanted = wanted.trim();
    components
        .iter()
        .find(|c| c.id == wanted)
        .or_else(|| {
            components
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(wanted))
        })
        .or_else(|| {
            components.iter().find(|c| {
                c.name.len() > wanted.len()
                    && c.name.is_char_boundary(wanted.len())
                    && c.name[..wanted.len()].eq_ignore_ascii_case(wanted)
                    && c.name[wanted.len()..].trim_start().starts_with('(')
            })
        })
}

impl Page {
    fn view(&self, target: &Target, root: &str) -> ProviderStatus {
        let mut view = ProviderStatus {
            provider: self.name.clone().or_else(|| Some(target.name.clone())),
            page: Some(root.to_string()),
            ..ProviderStatus::default()
        };
        let Some(components) = &self.components.value else {
            // No known shape: nothing the page says can be read, so nothing is claimed.
            view.component = target.status_component.clone();
            view.component_status = Some(ComponentStatus::Unknown);
            return view;
        };
        let incidents = self.incidents.value.as_deref().unwrap_or_default();
        let watched = target.status_component.as_deref();
        let matched = watched.and_then(|w| find(components, w));
        view.component = matched
            .map(|c| c.name.clone())
            .or_else(|| watched.map(str::to_string));
        view.component_status = match (watched, matched) {
            (Some(_), Some(c)) => Some(c.status),
            (Some(_), None) => Some(ComponentStatus::Unknown),
            (None, _) => None,
        };
        view.incidents = incidents
            .iter()
            .filter(|i| match (watched, matched) {
                (None, _) => true,
                (Some(_), Some(c)) => {
                    i.components.contains(&c.id)
                        || i.component_names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&c.name))
                }
                (Some(_), None) => false,
            })
            .take(INCIDENTS_KEPT)
            .map(|i| i.incident.clone())
            .collect();
        let (indicator, description) = match &self.status.value {
            Some((indicator, description)) => (*indicator, description.clone()),
            None => derived_indicator(components, incidents),
        };
        view.indicator = Some(indicator);
        view.description = description;
        view
    }
}

/// The page-wide indicator as Statuspage computes it, for a page whose `status.json` did not
/// answer: the worst of its components' statuses and its incidents' impacts.
fn derived_indicator(
    components: &[Component],
    incidents: &[PageIncident],
) -> (Indicator, Option<String>) {
    let rank = |i: Indicator| match i {
        Indicator::None => 0,
        Indicator::Minor => 1,
        Indicator::Major => 2,
        Indicator::Critical => 3,
    };
    let from_component = components.iter().map(|c| match c.status {
        ComponentStatus::MajorOutage => Indicator::Critical,
        ComponentStatus::PartialOutage => Indicator::Major,
        ComponentStatus::DegradedPerformance => Indicator::Minor,
        _ => Indicator::None,
    });
    let from_incident = incidents
        .iter()
        .map(|i| match i.incident.impact.as_deref() {
            Some("critical") => Indicator::Critical,
            Some("major") => Indicator::Major,
            Some("minor") => Indicator::Minor,
            _ => Indicator::None,
        });
    let worst = from_component
        .chain(from_incident)
        .max_by_key(|i| rank(*i))
        .unwrap_or(Indicator::None);
    let words = match worst {
        Indicator::None => "All Systems Operational",
        Indicator::Minor => "Minor Service Outage",
        Indicator::Major => "Partial System Outage",
        Indicator::Critical => "Major Service Outage",
    };
    (worst, Some(words.to_string()))
}

/// A status page is written by people elsewhere: its words are made printable and bounded like
/// everything else a server says.
pub(crate) fn scrub(status: ProviderStatus, redactor: &Redactor) -> ProviderStatus {
    let field = |s: String| redactor.scrub(&s, FIELD_MAX);
    let ProviderStatus {
        provider,
        page,
        indicator,
        description,
        component,
        component_status,
        incidents,
    } = status;
    ProviderStatus {
        provider: provider.map(field),
        page: page.map(field),
        indicator,
        description: description.map(|d| redactor.scrub(&d, MESSAGE_MAX)),
        component: component.map(field),
        component_status,
        incidents: incidents
            .into_iter()
            .take(INCIDENTS_KEPT)
            .map(|i| ProviderIncident {
                id: i.id.map(field),
                name: redactor.scrub(&i.name, MESSAGE_MAX),
                impact: i.impact.map(field),
                status: i.status.map(field),
                started_at: i.started_at,
                url: i.url.map(field),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(id: &str, name: &str) -> Component {
        Component {
            id: id.into(),
            name: name.into(),
            status: ComponentStatus::Operational,
        }
    }

    #[test]
    fn components_match_by_id_then_name_and_never_by_guess() {
        let list = [
            component("k8w3r06qmzrp", "Claude API (api.anthropic.com)"),
            component("abc", "API"),
            component("def", "APIs and Batch"),
        ];
        assert_eq!(find(&list, "abc").unwrap().name, "API");
        assert_eq!(find(&list, "api").unwrap().id, "abc");
        assert_eq!(find(&list, "Claude API").unwrap().id, "k8w3r06qmzrp");
        assert!(find(&list, "Batch").is_none());
        assert!(find(&list, "AP").is_none());
    }

    #[test]
    fn incidents_read_their_components_from_updates_too() {
        let json = serde_json::json!({"incidents": [{
            "id": "x1", "name": "Elevated errors", "status": "investigating", "impact": "minor",
            "started_at": "2026-12-01T10:00:00.000Z", "shortlink": "https://stspg.io/x1",
            "components": [],
            "incident_updates": [{"affected_components": [{"code": "abc", "name": "API"}]}]
        }, {"name": 5}]});
        let list = parse_incidents(&json).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].components, vec!["abc".to_string()]);
        assert_eq!(list[0].incident.url.as_deref(), Some("https://stspg.io/x1"));
        assert!(list[0].incident.started_at.is_some());
    }

    #[test]
    fn a_page_without_status_json_gets_the_worst_indicator() {
        let mut c = component("a", "API");
        c.status = ComponentStatus::PartialOutage;
        assert_eq!(derived_indicator(&[c], &[]).0, Indicator::Major);
        assert_eq!(derived_indicator(&[], &[]).0, Indicator::None);
    }
}
