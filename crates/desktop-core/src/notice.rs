//! The desktop's wording of an [`Alert`]: a short summary a person takes in at a glance, and a
//! body with the cause in plain words. The policy decides what to say (`alerts`); this only says
//! it, so another channel (a webhook, a terminal) can word the same alert its own way.

use crate::text::{capitalized, clock_words, name_list};
use alerts::{Alert, AlertItem, AlertKind, Change, Urgency};
use chrono::{DateTime, FixedOffset, Utc};
use monitor::words::duration_words;
use monitor::Status;

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
    pub urgency: Urgency,
    /// Ids of the targets it is about, e.g. to open the dashboard at them on click.
    pub targets: Vec<String>,
}

/// The notification for `alert`. `now` and `tz` word clock times ("since 14:02", "since Tue
/// 22:30") as the person reads them when it is shown.
pub fn render(alert: &Alert, now: DateTime<Utc>, tz: FixedOffset) -> Notice {
    let (summary, body) = match alert.kind {
        AlertKind::Offline => offline(alert),
        AlertKind::BackOnline => back_online(alert),
        AlertKind::StillDown => still_down(&alert.items, now, tz),
        AlertKind::MaintenanceSummary => maintenance_over(&alert.items, now, tz),
        AlertKind::ProviderIncident => provider_incident(alert),
        AlertKind::Down
        | AlertKind::Recovered
        | AlertKind::Degraded
        | AlertKind::BackToNormal
        | AlertKind::Mixed => match alert.items.as_slice() {
            [item] => sentence(item, now, tz),
            items => (counts(items), lines(items, None)),
        },
    };
    Notice {
        summary,
        body,
        urgency: alert.urgency,
        targets: alert.targets.clone(),
    }
}

fn names<'a>(items: impl IntoIterator<Item = &'a AlertItem>) -> String {
    let names: Vec<&str> = items.into_iter().map(|i| i.name.as_str()).collect();
    name_list(&names)
}

fn offline(alert: &Alert) -> (String, String) {
    (
        "You appear to be offline".into(),
        format!(
            "All {} cloud endpoints are unreachable: {}",
            alert.items.len(),
            names(&alert.items)
        ),
    )
}

fn back_online(alert: &Alert) -> (String, String) {
    let lasted = alert.offline.as_ref().and_then(|o| o.lasted_ms);
    let mut body = format!("Cloud endpoints reachable again after {}", ms_words(lasted));
    if !alert.items.is_empty() {
        body.push_str(&format!("\nStill down: {}", names(&alert.items)));
    }
    ("Back online".into(), body)
}

/// After a pause or quiet hours the person has not seen the downs happen, so each says since when.
fn still_down(items: &[AlertItem], now: DateTime<Utc>, tz: FixedOffset) -> (String, String) {
    let downs = items.iter().filter(|i| i.change == Change::Down);
    (
        format!("Still down: {}", names(downs)),
        lines(items, Some((now, tz))),
    )
}

/// After a maintenance window or a snooze, what happened meanwhile.
fn maintenance_over(items: &[AlertItem], now: DateTime<Utc>, tz: FixedOffset) -> (String, String) {
    let downs: Vec<&AlertItem> = items.iter().filter(|i| i.change == Change::Down).collect();
    let summary = if downs.is_empty() {
        "Maintenance over: all working".to_string()
    } else {
        format!("Maintenance over: {} still down", names(downs))
    };
    (summary, lines(items, Some((now, tz))))
}

/// "OpenAI reports an incident" / "OpenAI reports: Elevated error rates — investigating", in the
/// page's own words; the provider's word, so nothing says the endpoints are down.
fn provider_incident(alert: &Alert) -> (String, String) {
    match &alert.provider_incident {
        Some(incident) => (
            format!("{} reports an incident", incident.reporter),
            incident.words(),
        ),
        // Never made by the policy; a receiver's hand-made alert still reads.
        None => (
            "A provider reports an incident".into(),
            format!("On the status page of {}", names(&alert.items)),
        ),
    }
}

fn ms_words(ms: Option<u64>) -> String {
    duration_words(ms.map_or(0, |ms| i64::try_from(ms).unwrap_or(i64::MAX)))
}

/// "Ollama is down" / "Not running or unreachable (since 14:02)".
fn sentence(item: &AlertItem, now: DateTime<Utc>, tz: FixedOffset) -> (String, String) {
    let (name, words) = (&item.name, item.class.plain_words());
    match item.change {
        Change::Down => (
            format!("{name} is down"),
            format!(
                "{} (since {})",
                capitalized(words),
                clock_words(item.since, now, tz)
            ),
        ),
        Change::Recovered => {
            let mut body = format!("Was down for {}", ms_words(item.down_for_ms));
            if item.to == Status::Degraded {
                body.push_str(&format!("; still degraded: {words}"));
            }
            (format!("{name} recovered"), body)
        }
        Change::Degraded => (format!("{name} is degraded"), capitalized(words)),
        Change::BackToNormal => (
            format!("{name} is back to normal"),
            format!("Was degraded for {}", ms_words(item.degraded_for_ms)),
        ),
        Change::Unreachable => (format!("{name} is unreachable"), capitalized(words)),
        Change::WasDown => (
            format!("{name} works again"),
            "Was down during maintenance".into(),
        ),
        Change::ProviderIncident => (
            format!("{name}'s provider reports an incident"),
            "On its status page".into(),
        ),
    }
}

fn lines(items: &[AlertItem], since: Option<(DateTime<Utc>, FixedOffset)>) -> String {
    let lines: Vec<String> = items.iter().map(|i| line(i, since)).collect();
    lines.join("\n")
}

/// "Ollama: down — not running or unreachable"; with `since`, when the down began.
fn line(item: &AlertItem, since: Option<(DateTime<Utc>, FixedOffset)>) -> String {
    let (name, words) = (&item.name, item.class.plain_words());
    match item.change {
        Change::Down => match since {
            Some((now, tz)) => format!(
                "{name}: down since {} — {words}",
                clock_words(item.since, now, tz)
            ),
            None => format!("{name}: down — {words}"),
        },
        Change::Recovered => {
            let mut line = format!("{name}: recovered after {}", ms_words(item.down_for_ms));
            if item.to == Status::Degraded {
                line.push_str(&format!(", still degraded — {words}"));
            }
            line
        }
        Change::Degraded => format!("{name}: degraded — {words}"),
        Change::BackToNormal => format!(
            "{name}: back to normal after {}",
            ms_words(item.degraded_for_ms)
        ),
        Change::Unreachable => format!("{name}: unreachable — {words}"),
        Change::WasDown => format!("{name}: was down during maintenance, works again"),
        Change::ProviderIncident => format!("{name}: its provider reports an incident"),
    }
}

/// "2 down, 1 recovered".
fn counts(items: &[AlertItem]) -> String {
    let count = |change: Change| items.iter().filter(|i| i.change == change).count();
    [
        (Change::Down, "down"),
        (Change::Recovered, "recovered"),
        (Change::Degraded, "degraded"),
        (Change::BackToNormal, "back to normal"),
        (Change::Unreachable, "unreachable"),
        (Change::WasDown, "back after maintenance"),
        (Change::ProviderIncident, "with a provider incident"),
    ]
    .iter()
    .map(|&(change, what)| (count(change), what))
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>()
    .join(", ")
}

#[cfg(test)]
mod tests;
