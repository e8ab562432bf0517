//! The tray as a plain model: a snapshot of the engine goes in, a comparable [`TrayModel`] comes
//! out. The app renders it and skips the update when it equals the last one, so everything here is
//! worded to change only when something a person would notice changes (at most once a minute per
//! target).

use crate::icon::IconState;
use crate::text::{clock_words, name_list, shortened};
use crate::APP_NAME;
use alerts::local_time::pause_until_tomorrow;
use chrono::{DateTime, FixedOffset, Utc};
use monitor::words::duration_words;
use monitor::{ProviderStatus, Severity, Snapshot, Status, TargetView};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    pub icon: IconState,
    pub tooltip: String,
    pub menu: Vec<MenuEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    Item {
        action: MenuAction,
        label: String,
        enabled: bool,
    },
    Separator,
    Submenu {
        label: String,
        items: Vec<MenuEntry>,
    },
}

/// What a menu item does when clicked. `Info` items are disabled text and do nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MenuAction {
    /// Open the dashboard at this target.
    Target(String),
    CheckNow,
    PauseHour,
    PauseUntilTomorrow,
    ResumeNotifications,
    /// Snooze this target's notices for an hour.
    SnoozeHour(String),
    /// Snooze this target's notices until tomorrow morning.
    SnoozeUntilTomorrow(String),
    /// End this target's snooze.
    EndSnooze(String),
    OpenDashboard,
    OpenSettings,
    Quit,
    Info,
}

const TARGET_PREFIX: &str = "target:";
const SNOOZE_HOUR_PREFIX: &str = "snooze-1h:";
const SNOOZE_TOMORROW_PREFIX: &str = "snooze-tomorrow:";
const END_SNOOZE_PREFIX: &str = "snooze-end:";

/// An action about one target, made from the target's id.
type WithTarget = fn(String) -> MenuAction;

impl MenuAction {
    /// The menu item id the app gives the toolkit; [`MenuAction::from_id`] reads it back from the
    /// click event.
    pub fn id(&self) -> String {
        match self {
            MenuAction::Target(id) => format!("{TARGET_PREFIX}{id}"),
            MenuAction::SnoozeHour(id) => format!("{SNOOZE_HOUR_PREFIX}{id}"),
            MenuAction::SnoozeUntilTomorrow(id) => format!("{SNOOZE_TOMORROW_PREFIX}{id}"),
            MenuAction::EndSnooze(id) => format!("{END_SNOOZE_PREFIX}{id}"),
            MenuAction::CheckNow => "check-now".into(),
            MenuAction::PauseHour => "pause-1h".into(),
            MenuAction::PauseUntilTomorrow => "pause-tomorrow".into(),
            MenuAction::ResumeNotifications => "resume".into(),
            MenuAction::OpenDashboard => "open".into(),
            MenuAction::OpenSettings => "settings".into(),
            MenuAction::Quit => "quit".into(),
            MenuAction::Info => "info".into(),
        }
    }

    pub fn from_id(id: &str) -> Option<MenuAction> {
        let with_target: [(&str, WithTarget); 4] = [
            (TARGET_PREFIX, MenuAction::Target),
            (SNOOZE_HOUR_PREFIX, MenuAction::SnoozeHour),
            (SNOOZE_TOMORROW_PREFIX, MenuAction::SnoozeUntilTomorrow),
            (END_SNOOZE_PREFIX, MenuAction::EndSnooze),
        ];
        for (prefix, action) in with_target {
            if let Some(target) = id.strip_prefix(prefix) {
                return (!target.is_empty()).then(|| action(target.to_string()));
            }
        }
        Some(match id {
            "check-now" => MenuAction::CheckNow,
            "pause-1h" => MenuAction::PauseHour,
            "pause-tomorrow" => MenuAction::PauseUntilTomorrow,
            "resume" => MenuAction::ResumeNotifications,
            "open" => MenuAction::OpenDashboard,
            "settings" => MenuAction::OpenSettings,
            "quit" => MenuAction::Quit,
            "info" => MenuAction::Info,
            _ => return None,
        })
    }
}

/// The tray for this moment. `snoozed_until` holds the targets whose notices are snoozed, with
/// when each snooze ends (ended ones are ignored). `tz` is the local offset, for the clock times
/// shown.
pub fn tray_model(
    snapshot: &Snapshot,
    notifications_paused_until: Option<DateTime<Utc>>,
    snoozed_until: &BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> TrayModel {
    let paused_until = notifications_paused_until.filter(|&until| until > now);
    let snoozed = |id: &str| snoozed_until.get(id).copied().filter(|&until| until > now);
    let enabled: Vec<&TargetView> = snapshot.targets.iter().filter(|t| t.enabled).collect();
    // From the enabled targets rather than `snapshot.overall`, so that a disabled target (whose
    // status is unknown) never turns an all-up icon gray.
    let icon = if snapshot.paused || enabled.is_empty() {
        IconState::Unknown
    } else {
        IconState::from_status(Status::overall(enabled.iter().map(|t| t.status)))
    };

    let mut tooltip = tooltip(snapshot, &enabled);
    if paused_until.is_some() {
        tooltip.push_str(" · notifications paused");
    }

    let mut menu: Vec<MenuEntry> = snapshot
        .targets
        .iter()
        .map(|t| {
            let mut label = target_label(t, now);
            if let Some(until) = snoozed(&t.id) {
                label.push_str(&format!(" · snoozed until {}", clock_words(until, now, tz)));
            }
            MenuEntry::Item {
                action: MenuAction::Target(t.id.clone()),
                label,
                enabled: true,
            }
        })
        .collect();
    if menu.is_empty() {
        menu.push(info("No endpoints configured"));
    }
    menu.push(MenuEntry::Separator);
    menu.push(item(MenuAction::CheckNow, "Check now", !enabled.is_empty()));
    match paused_until {
        Some(until) => {
            let until = clock_words(until, now, tz);
            menu.push(info(&format!("Notifications paused until {until}")));
            menu.push(item(
                MenuAction::ResumeNotifications,
                "Resume notifications",
                true,
            ));
        }
        None => {
            let tomorrow = pause_until_tomorrow(now, tz);
            menu.push(MenuEntry::Submenu {
                label: "Pause notifications".into(),
                items: vec![
                    item(MenuAction::PauseHour, "For 1 hour", true),
                    item(
                        MenuAction::PauseUntilTomorrow,
                        &format!("Until {}", morning_words(tomorrow, now, tz)),
                        true,
                    ),
                ],
            });
        }
    }
    if let Some(submenu) = snooze_menu(snapshot, &snoozed, now, tz) {
        menu.push(submenu);
    }
    menu.extend([
        MenuEntry::Separator,
        item(MenuAction::OpenDashboard, "Open dashboard", true),
        item(MenuAction::OpenSettings, "Settings…", true),
        MenuEntry::Separator,
        item(MenuAction::Quit, "Quit", true),
    ]);

    TrayModel {
        icon,
        tooltip,
        menu,
    }
}

/// "Snooze endpoint" > one submenu per target: "For 1 hour", "Until tomorrow 08:00", and for a
/// snoozed target (its label says until when) "End snooze". Disabled targets send nothing to snooze, so
/// they are left out unless snoozed; with nothing to list there is no submenu.
fn snooze_menu(
    snapshot: &Snapshot,
    snoozed: &dyn Fn(&str) -> Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Option<MenuEntry> {
    let tomorrow = morning_words(pause_until_tomorrow(now, tz), now, tz);
    let targets: Vec<MenuEntry> = snapshot
        .targets
        .iter()
        .filter_map(|t| match snoozed(&t.id) {
            None if !t.enabled => None,
            until => {
                let mut items = vec![
                    item(MenuAction::SnoozeHour(t.id.clone()), "For 1 hour", true),
                    item(
                        MenuAction::SnoozeUntilTomorrow(t.id.clone()),
                        &format!("Until {tomorrow}"),
                        true,
                    ),
                ];
                let label = match until {
                    Some(until) => {
                        items.push(item(
                            MenuAction::EndSnooze(t.id.clone()),
                            "End snooze",
                            true,
                        ));
                        format!("{} — snoozed until {}", t.name, clock_words(until, now, tz))
                    }
                    None => t.name.clone(),
                };
                Some(MenuEntry::Submenu { label, items })
            }
        })
        .collect();
    (!targets.is_empty()).then(|| MenuEntry::Submenu {
        label: "Snooze endpoint".into(),
        items: targets,
    })
}

/// "tomorrow 08:00", or "08:00" when the pause ends this morning.
fn morning_words(at: DateTime<Utc>, now: DateTime<Utc>, tz: FixedOffset) -> String {
    let same_day = at.with_timezone(&tz).date_naive() == now.with_timezone(&tz).date_naive();
    let clock = at.with_timezone(&tz).format("%H:%M");
    if same_day {
        clock.to_string()
    } else {
        format!("tomorrow {clock}")
    }
}

fn item(action: MenuAction, label: &str, enabled: bool) -> MenuEntry {
    MenuEntry::Item {
        action,
        label: label.into(),
        enabled,
    }
}

fn info(label: &str) -> MenuEntry {
    item(MenuAction::Info, label, false)
}

/// Longest target line, in characters, once a provider's headline is on it: a menu is as wide as
/// its widest line, and the page's words can be long.
const LINE_MAX: usize = 60;

/// Between our words and the provider's.
const SEPARATOR: &str = " · ";

/// Least of a headline worth showing; with less room, the line goes without it.
const HEADLINE_MIN: usize = 12;

/// "Ollama — down 4 min (not running or unreachable)", "Gemini — checking…", and when the
/// provider's status page reports something amiss, "OpenAI — up 2 h · OpenAI reports: Elevated…".
fn target_label(t: &TargetView, now: DateTime<Utc>) -> String {
    if !t.enabled {
        return format!("{} — disabled", t.name);
    }
    let word = match t.status {
        Status::Healthy => "up",
        Status::Degraded => "degraded",
        Status::Unhealthy => "down",
        Status::Unknown => "unknown",
    };
    let mut label = match (t.status, t.since) {
        (Status::Unknown, None) => return format!("{} — checking…", t.name),
        (_, None) => format!("{} — {word}", t.name),
        (_, Some(since)) => format!("{} — {word} {}", t.name, coarse_age(since, now)),
    };
    let cause = t
        .last
        .as_ref()
        .filter(|_| matches!(t.status, Status::Unhealthy | Status::Degraded))
        // A recovering target's last probe may be fine already; "(working)" would mislead.
        .filter(|o| o.class.severity() != Severity::Ok);
    if let Some(outcome) = cause {
        label.push_str(&format!(" ({})", outcome.class.plain_words()));
    }
    let headline = t
        .last
        .as_ref()
        .and_then(|o| o.details.provider_status.as_ref())
        .and_then(ProviderStatus::headline);
    let room = LINE_MAX.saturating_sub(label.chars().count() + SEPARATOR.chars().count());
    match headline {
        // Our status stays whole; only the provider's words are cut.
        Some(headline) if room >= HEADLINE_MIN => {
            shortened(&format!("{label}{SEPARATOR}{headline}"), LINE_MAX)
        }
        _ => label,
    }
}

/// Durations with minutes as the finest unit, so a label changes at most once a minute.
fn coarse_age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let ms = (now - since).num_milliseconds();
    if ms < 60_000 {
        "<1 min".into()
    } else {
        duration_words(ms)
    }
}

/// "LLM Health Monitor — all 5 up", "2 of 5 down: Ollama, OpenAI; 1 degraded: Groq". No
/// durations, so the tooltip changes only with statuses.
fn tooltip(snapshot: &Snapshot, enabled: &[&TargetView]) -> String {
    if snapshot.paused {
        return "Monitoring paused".into();
    }
    if snapshot.targets.is_empty() {
        return "Nothing configured".into();
    }
    if enabled.is_empty() {
        return "All endpoints disabled".into();
    }
    let names = |status: Status| -> Vec<&str> {
        enabled
            .iter()
            .filter(|t| t.status == status)
            .map(|t| t.name.as_str())
            .collect()
    };
    let (down, degraded, up) = (
        names(Status::Unhealthy),
        names(Status::Degraded),
        names(Status::Healthy),
    );
    let total = enabled.len();
    let mut parts = Vec::new();
    if !down.is_empty() {
        parts.push(format!(
            "{} of {total} down: {}",
            down.len(),
            name_list(&down)
        ));
    }
    if !degraded.is_empty() {
        parts.push(format!(
            "{} degraded: {}",
            degraded.len(),
            name_list(&degraded)
        ));
    }
    if !parts.is_empty() {
        return parts.join("; ");
    }
    if up.len() == total {
        let all = if total == 1 { "" } else { "all " };
        format!("{APP_NAME} — {all}{total} up")
    } else {
        format!(
            "{APP_NAME} — {} of {total} up, {} unknown",
            up.len(),
            total - up.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use monitor::{Class, ComponentStatus, Kind, Outcome, ProviderIncident};
    use std::sync::Arc;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    const NOW: &str = "2024-03-05T14:06:00Z"; // a Tuesday

    fn none() -> BTreeMap<String, DateTime<Utc>> {
        BTreeMap::new()
    }

    fn target(
        name: &str,
        status: Status,
        since_s: Option<i64>,
        class: Option<Class>,
    ) -> TargetView {
        let now = t(NOW);
        TargetView {
            id: name.to_lowercase(),
            name: name.into(),
            kind: Kind::Openai,
            enabled: true,
            status,
            since: since_s.map(|s| now - Duration::seconds(s)),
            score: None,
            consecutive_failures: 0,
            checking: false,
            next_check_at: None,
            last: class.map(|class| {
                Arc::new(Outcome {
                    at: now,
                    class,
                    http_status: None,
                    latency_ms: 10,
                    message: String::new(),
                    details: Default::default(),
                })
            }),
        }
    }

    fn snapshot(targets: Vec<TargetView>) -> Snapshot {
        Snapshot {
            paused: false,
            overall: Status::overall(targets.iter().map(|t| t.status)),
            targets,
        }
    }

    fn labels(entries: &[MenuEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                MenuEntry::Item { label, enabled, .. } if !enabled => format!("({label})"),
                MenuEntry::Item { label, .. } => label.clone(),
                MenuEntry::Separator => "---".into(),
                MenuEntry::Submenu { label, items } => {
                    format!("{label} > {}", labels(items).join(" | "))
                }
            })
            .collect()
    }

    fn five() -> Vec<TargetView> {
        vec![
            target(
                "Ollama",
                Status::Unhealthy,
                Some(4 * 60 + 10),
                Some(Class::Connect),
            ),
            target(
                "OpenAI",
                Status::Healthy,
                Some(2 * 3600 + 5 * 60),
                Some(Class::Ok),
            ),
            target("Groq", Status::Degraded, Some(30), Some(Class::RateLimited)),
            target("Gemini", Status::Unknown, None, None),
            TargetView {
                enabled: false,
                ..target("Mistral", Status::Unknown, None, None)
            },
        ]
    }

    #[test]
    fn the_menu_lists_targets_then_actions() {
        let model = tray_model(&snapshot(five()), None, &none(), t(NOW), utc());
        assert_eq!(
            labels(&model.menu),
            [
                "Ollama — down 4 min (not running or unreachable)",
                "OpenAI — up 2 h 5 min",
                "Groq — degraded <1 min (rate limited)",
                "Gemini — checking…",
                "Mistral — disabled",
                "---",
                "Check now",
                "Pause notifications > For 1 hour | Until tomorrow 08:00",
                "Snooze endpoint > Ollama > For 1 hour | Until tomorrow 08:00 | \
                 OpenAI > For 1 hour | Until tomorrow 08:00 | \
                 Groq > For 1 hour | Until tomorrow 08:00 | \
                 Gemini > For 1 hour | Until tomorrow 08:00",
                "---",
                "Open dashboard",
                "Settings…",
                "---",
                "Quit",
            ]
        );
        assert_eq!(model.icon, IconState::Unhealthy);
        assert_eq!(model.tooltip, "1 of 4 down: Ollama; 1 degraded: Groq");
        let MenuEntry::Item {
            action, enabled, ..
        } = &model.menu[0]
        else {
            panic!("first entry is a target");
        };
        assert_eq!(action, &MenuAction::Target("ollama".into()));
        assert!(enabled);
    }

    /// The target's last check, with what its status page says.
    fn with_page(mut t: TargetView, page: ProviderStatus) -> TargetView {
        let mut outcome = Outcome::clone(t.last.as_deref().expect("a last check"));
        outcome.details.provider_status = Some(page);
        t.last = Some(Arc::new(outcome));
        t
    }

    #[test]
    fn a_providers_word_follows_the_target_when_its_page_reports_something() {
        let page = |status, incidents: &[&str]| ProviderStatus {
            provider: Some("OpenAI".into()),
            component: Some("API".into()),
            component_status: Some(status),
            incidents: incidents
                .iter()
                .map(|name| ProviderIncident {
                    name: name.to_string(),
                    status: Some("investigating".into()),
                    ..ProviderIncident::default()
                })
                .collect(),
            ..ProviderStatus::default()
        };
        let openai = || {
            target(
                "OpenAI",
                Status::Healthy,
                Some(2 * 3600 + 5 * 60),
                Some(Class::Ok),
            )
        };
        let long_name = TargetView {
            name: "OpenAI through the team's shared gateway in Frankfurt".into(),
            ..openai()
        };
        let targets = vec![
            with_page(
                openai(),
                page(ComponentStatus::PartialOutage, &["Elevated error rates"]),
            ),
            with_page(openai(), page(ComponentStatus::PartialOutage, &[])),
            with_page(openai(), page(ComponentStatus::Operational, &[])),
            with_page(openai(), page(ComponentStatus::Unknown, &[])),
            with_page(
                long_name,
                page(ComponentStatus::MajorOutage, &["Elevated error rates"]),
            ),
        ];
        let model = tray_model(&snapshot(targets), None, &none(), t(NOW), utc());
        assert_eq!(
            labels(&model.menu)[..5],
            [
                "OpenAI — up 2 h 5 min · OpenAI reports: Elevated error rate…",
                "OpenAI — up 2 h 5 min · OpenAI: partial outage",
                "OpenAI — up 2 h 5 min",
                "OpenAI — up 2 h 5 min",
                "OpenAI through the team's shared gateway in Frankfurt — up 2 h 5 min",
            ]
        );
        // The provider's word is context: our status, and the icon, stay ours.
        assert_eq!(model.icon, IconState::Healthy);
    }

    #[test]
    fn all_up_says_so() {
        let targets = ["A", "B", "C", "D", "E"]
            .map(|n| target(n, Status::Healthy, Some(600), Some(Class::Ok)))
            .to_vec();
        let model = tray_model(&snapshot(targets), None, &none(), t(NOW), utc());
        assert_eq!(model.tooltip, "LLM Health Monitor — all 5 up");
        assert_eq!(model.icon, IconState::Healthy);
    }

    #[test]
    fn several_down_are_named_in_the_tooltip() {
        let mut targets = ["Ollama", "OpenAI", "C", "D", "E"]
            .map(|n| target(n, Status::Healthy, Some(600), Some(Class::Ok)))
            .to_vec();
        for t in &mut targets[..2] {
            t.status = Status::Unhealthy;
        }
        let model = tray_model(&snapshot(targets), None, &none(), t(NOW), utc());
        assert_eq!(model.tooltip, "2 of 5 down: Ollama, OpenAI");
        let degraded = vec![
            target("Groq", Status::Degraded, Some(5), Some(Class::Slow)),
            target("B", Status::Healthy, Some(5), None),
        ];
        let model = tray_model(&snapshot(degraded), None, &none(), t(NOW), utc());
        assert_eq!(model.tooltip, "1 degraded: Groq");
        assert_eq!(model.icon, IconState::Degraded);
    }

    #[test]
    fn nothing_configured_has_one_disabled_line_and_no_check() {
        let model = tray_model(&snapshot(vec![]), None, &none(), t(NOW), utc());
        assert_eq!(model.tooltip, "Nothing configured");
        assert_eq!(model.icon, IconState::Unknown);
        let shown = labels(&model.menu);
        assert_eq!(
            shown[..3],
            ["(No endpoints configured)", "---", "(Check now)"]
        );
    }

    #[test]
    fn a_paused_engine_shows_unknown() {
        let mut snap = snapshot(five());
        snap.paused = true;
        let model = tray_model(&snap, None, &none(), t(NOW), utc());
        assert_eq!(model.icon, IconState::Unknown);
        assert_eq!(model.tooltip, "Monitoring paused");
    }

    #[test]
    fn paused_notifications_show_until_when_and_offer_resume() {
        let now = t(NOW);
        let tz = FixedOffset::east_opt(3600).unwrap();
        let until = t("2024-03-05T14:20:00Z");
        let model = tray_model(&snapshot(five()), Some(until), &none(), now, tz);
        let shown = labels(&model.menu);
        assert_eq!(
            shown[7..9],
            ["(Notifications paused until 15:20)", "Resume notifications"]
        );
        assert!(
            model.tooltip.ends_with(" · notifications paused"),
            "{}",
            model.tooltip
        );

        let model = tray_model(
            &snapshot(five()),
            Some(t("2024-03-06T07:00:00Z")),
            &none(),
            now,
            tz,
        );
        assert_eq!(
            labels(&model.menu)[7],
            "(Notifications paused until Wed 08:00)"
        );

        // A pause that has run out is no pause.
        let model = tray_model(&snapshot(five()), Some(now), &none(), now, tz);
        assert!(labels(&model.menu)[7].starts_with("Pause notifications"));
    }

    #[test]
    fn the_model_changes_at_most_once_a_minute() {
        let at = |s: i64| t(NOW) + Duration::seconds(s);
        let snap = snapshot(five());
        let model = |s| tray_model(&snap, None, &none(), at(s), utc());
        // At 0 Ollama has been down 4 min 10 s and Groq degraded 30 s: Groq's minute turns at
        // +30 s, Ollama's at +50 s.
        assert_eq!(model(0), model(20));
        assert_eq!(model(31), model(49));
        assert_ne!(model(20), model(40));
        assert_ne!(model(45), model(55));

        let mut changed = snapshot(five());
        changed.targets[1].status = Status::Unhealthy;
        assert_ne!(tray_model(&changed, None, &none(), at(0), utc()), model(0));
    }

    #[test]
    fn until_tomorrow_means_the_next_morning_at_least_an_hour_away() {
        let tz = FixedOffset::east_opt(-5 * 3600).unwrap();
        // 14:06 local (19:06 UTC) → tomorrow 08:00 local.
        assert_eq!(
            pause_until_tomorrow(t("2024-03-05T19:06:00Z"), tz),
            t("2024-03-06T13:00:00Z")
        );
        // 02:00 local: this morning.
        assert_eq!(
            pause_until_tomorrow(t("2024-03-05T07:00:00Z"), tz),
            t("2024-03-05T13:00:00Z")
        );
        // 07:30 local: this morning is too close; the next one.
        assert_eq!(
            pause_until_tomorrow(t("2024-03-05T12:30:00Z"), tz),
            t("2024-03-06T13:00:00Z")
        );
        let model = tray_model(
            &snapshot(five()),
            None,
            &none(),
            t("2024-03-05T07:00:00Z"),
            tz,
        );
        assert_eq!(
            labels(&model.menu)[7],
            "Pause notifications > For 1 hour | Until 08:00"
        );
    }

    /// The snooze submenu of a model, as (target submenu label, [(item label, action)]).
    fn snooze_items(model: &TrayModel) -> Vec<(String, Vec<(String, MenuAction)>)> {
        let Some(MenuEntry::Submenu { items, .. }) = model
            .menu
            .iter()
            .find(|e| matches!(e, MenuEntry::Submenu { label, .. } if label == "Snooze endpoint"))
        else {
            return Vec::new();
        };
        items
            .iter()
            .map(|e| match e {
                MenuEntry::Submenu { label, items } => (
                    label.clone(),
                    items
                        .iter()
                        .map(|i| match i {
                            MenuEntry::Item { label, action, .. } => {
                                (label.clone(), action.clone())
                            }
                            other => panic!("not an item: {other:?}"),
                        })
                        .collect(),
                ),
                other => panic!("not a target submenu: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn each_enabled_target_can_be_snoozed_for_an_hour_or_until_tomorrow() {
        let model = tray_model(&snapshot(five()), None, &none(), t(NOW), utc());
        let snooze = snooze_items(&model);
        let names: Vec<&str> = snooze.iter().map(|(l, _)| l.as_str()).collect();
        // The disabled Mistral sends nothing, so there is nothing to snooze.
        assert_eq!(names, ["Ollama", "OpenAI", "Groq", "Gemini"]);
        assert_eq!(
            snooze[0].1,
            [
                (
                    "For 1 hour".to_string(),
                    MenuAction::SnoozeHour("ollama".into())
                ),
                (
                    "Until tomorrow 08:00".to_string(),
                    MenuAction::SnoozeUntilTomorrow("ollama".into())
                ),
            ]
        );
        // It sits with the pause, before the window's items.
        let shown = labels(&model.menu);
        assert!(shown[7].starts_with("Pause notifications"), "{shown:?}");
        assert!(shown[8].starts_with("Snooze endpoint > "), "{shown:?}");
        assert_eq!(shown[9], "---");
    }

    #[test]
    fn a_snoozed_target_says_until_when_and_offers_to_end_it() {
        let now = t(NOW);
        let tz = FixedOffset::east_opt(3600).unwrap();
        let snoozed = BTreeMap::from([
            ("ollama".to_string(), t("2024-03-05T15:06:00Z")),
            // Ended a minute ago: no longer snoozed.
            ("openai".to_string(), t("2024-03-05T14:05:00Z")),
            // Disabled but snoozed: still listed, so the snooze can be ended.
            ("mistral".to_string(), t("2024-03-06T07:00:00Z")),
        ]);
        let model = tray_model(&snapshot(five()), None, &snoozed, now, tz);
        let snooze = snooze_items(&model);
        let names: Vec<&str> = snooze.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            names,
            [
                "Ollama — snoozed until 16:06",
                "OpenAI",
                "Groq",
                "Gemini",
                "Mistral — snoozed until Wed 08:00"
            ]
        );
        let actions: Vec<&MenuAction> = snooze[0].1.iter().map(|(_, a)| a).collect();
        assert_eq!(
            actions,
            [
                &MenuAction::SnoozeHour("ollama".into()),
                &MenuAction::SnoozeUntilTomorrow("ollama".into()),
                &MenuAction::EndSnooze("ollama".into()),
            ]
        );
        assert_eq!(snooze[0].1[2].0, "End snooze");
        assert!(!snooze[1].1.iter().any(|(l, _)| l == "End snooze"));
        // The target's own line says so too.
        let shown = labels(&model.menu);
        assert_eq!(
            shown[0],
            "Ollama — down 4 min (not running or unreachable) · snoozed until 16:06"
        );
        assert_eq!(shown[1], "OpenAI — up 2 h 5 min");
        // The model changes when a snooze begins or ends, and not otherwise.
        assert_ne!(model, tray_model(&snapshot(five()), None, &none(), now, tz));
        let later = tray_model(
            &snapshot(five()),
            None,
            &snoozed,
            now + chrono::Duration::hours(2),
            tz,
        );
        assert!(
            !labels(&later.menu)[0].contains("snoozed"),
            "{:?}",
            labels(&later.menu)
        );
    }

    #[test]
    fn nothing_to_snooze_means_no_snooze_menu() {
        let model = tray_model(&snapshot(vec![]), None, &none(), t(NOW), utc());
        assert!(snooze_items(&model).is_empty());
        assert!(!labels(&model.menu).iter().any(|l| l.starts_with("Snooze")));
        let only_disabled = vec![TargetView {
            enabled: false,
            ..target("Mistral", Status::Unknown, None, None)
        }];
        let model = tray_model(&snapshot(only_disabled), None, &none(), t(NOW), utc());
        assert!(!labels(&model.menu).iter().any(|l| l.starts_with("Snooze")));
    }

    #[test]
    fn ids_round_trip() {
        let actions = [
            MenuAction::Target("local-ollama".into()),
            MenuAction::Target("with:colon".into()),
            MenuAction::CheckNow,
            MenuAction::PauseHour,
            MenuAction::PauseUntilTomorrow,
            MenuAction::ResumeNotifications,
            MenuAction::SnoozeHour("local-ollama".into()),
            MenuAction::SnoozeUntilTomorrow("with:colon".into()),
            MenuAction::EndSnooze("openai".into()),
            MenuAction::OpenDashboard,
            MenuAction::OpenSettings,
            MenuAction::Quit,
            MenuAction::Info,
        ];
        for a in actions {
            assert_eq!(MenuAction::from_id(&a.id()), Some(a.clone()), "{}", a.id());
        }
        assert_eq!(MenuAction::CheckNow.id(), "check-now");
        assert_eq!(MenuAction::from_id("target:"), None);
        assert_eq!(MenuAction::from_id("snooze-1h:"), None);
        assert_eq!(MenuAction::SnoozeHour("a".into()).id(), "snooze-1h:a");
        assert_eq!(MenuAction::from_id("nonsense"), None);
    }
}
