//! IPC commands of the dashboard window. Each is a thin call into the supervisor; errors reach
//! the page as plain sentences (a malformed import names its line and key).

use crate::supervisor;
use chrono::{DateTime, Duration, Utc};
use desktop_core::api::{SettingsView, StateView};
use desktop_core::notify::NotifyPrefs;
use desktop_core::settings::{parse_toml, Settings};
use desktop_core::tray::pause_until_tomorrow;
use monitor::config::{ConfigFile, TargetFile};
use monitor::probe::KeySource;
use monitor::round::{test_connection, TestResult};
use monitor::Incident;
use std::sync::Arc;
use store::{HistoryView, IncidentArgs, TargetInfo, TimelineView, Window, WindowArgs};
use tauri::AppHandle;

type Result<T> = std::result::Result<T, String>;

fn text(err: impl std::fmt::Display) -> String {
    err.to_string()
}

#[tauri::command]
pub fn get_state(app: AppHandle) -> StateView {
    supervisor::get(&app).state()
}

#[tauri::command]
pub fn check_now(app: AppHandle, target: Option<String>) {
    supervisor::get(&app).check_now(target.as_deref());
}

#[tauri::command]
pub fn get_settings(app: AppHandle) -> Result<SettingsView> {
    let supervisor = supervisor::get(&app);
    let settings = supervisor.settings();
    let config = settings.engine_config().map_err(text)?;
    let keys = config
        .targets
        .iter()
        .map(|t| (t.id.clone(), supervisor.keys.origin(t)))
        .collect();
    Ok(SettingsView {
        config: settings.config,
        notifications: Some(settings.notifications),
        start_at_login: Some(settings.start_at_login),
        keys,
    })
}

/// `notifications` and `start_at_login` may be left out (null) to keep what is set: the browser
/// transport of the same page has neither.
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    config: ConfigFile,
    notifications: Option<NotifyPrefs>,
    start_at_login: Option<bool>,
) -> Result<()> {
    let supervisor = supervisor::get(&app);
    let current = supervisor.settings();
    let next = Settings {
        config,
        notifications: notifications.unwrap_or_else(|| current.notifications.clone()),
        start_at_login: start_at_login.unwrap_or(current.start_at_login),
        ..current
    };
    supervisor.apply(next).await.map_err(text)
}

async fn edit(app: &AppHandle, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<()> {
    let supervisor = supervisor::get(app);
    let mut next = supervisor.settings();
    change(&mut next)?;
    supervisor.apply(next).await.map_err(text)
}

#[tauri::command]
pub async fn upsert_target(app: AppHandle, target: TargetFile) -> Result<()> {
    edit(&app, |s| {
        s.upsert_target(target);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn remove_target(app: AppHandle, id: String) -> Result<()> {
    edit(&app, |s| s.remove_target(&id).map(|_| ()).map_err(text)).await
}

#[tauri::command]
pub async fn set_target_enabled(app: AppHandle, id: String, enabled: bool) -> Result<()> {
    edit(&app, |s| s.set_enabled(&id, enabled).map_err(text)).await
}

#[tauri::command]
pub async fn set_muted(app: AppHandle, id: String, muted: bool) -> Result<()> {
    edit(&app, |s| {
        if muted {
            s.notifications.muted.insert(id);
        } else {
            s.notifications.muted.remove(&id);
        }
        Ok(())
    })
    .await
}

/// Stores a target's API key in the OS keyring and re-reads keys into the engine.
#[tauri::command]
pub async fn set_api_key(app: AppHandle, target: String, key: String) -> Result<()> {
    let supervisor = supervisor::get(&app);
    let keys = supervisor.keys.clone();
    let id = target.clone();
    tokio::task::spawn_blocking(move || keys.set(&id, &key))
        .await
        .map_err(text)?
        .map_err(text)?;
    supervisor.check_now(Some(&target));
    Ok(())
}

#[tauri::command]
pub async fn delete_api_key(app: AppHandle, target: String) -> Result<()> {
    let keys = supervisor::get(&app).keys.clone();
    tokio::task::spawn_blocking(move || keys.delete(&target))
        .await
        .map_err(text)?
        .map_err(text)
}

/// Replaces the targets with those of a TOML file in the engine's format.
#[tauri::command]
pub async fn import_toml(app: AppHandle, text_toml: String) -> Result<()> {
    let config = parse_toml(&text_toml, "imported config").map_err(text)?;
    edit(&app, |s| {
        s.config = config;
        s.onboarded = true;
        Ok(())
    })
    .await
}

#[tauri::command]
pub fn export_toml(app: AppHandle) -> Result<String> {
    supervisor::get(&app).settings().to_toml().map_err(text)
}

/// First run: adds the offered endpoints the user picked (possibly none).
#[tauri::command]
pub async fn answer_offers(app: AppHandle, targets: Vec<TargetFile>) -> Result<()> {
    edit(&app, |s| {
        for target in targets {
            s.upsert_target(target);
        }
        s.onboarded = true;
        Ok(())
    })
    .await?;
    supervisor::get(&app).set_offers(None);
    Ok(())
}

/// `minutes: None` resumes; `Some(0)` pauses until tomorrow morning.
#[tauri::command]
pub fn pause_notifications(app: AppHandle, minutes: Option<u32>) {
    let now = Utc::now();
    let until = minutes.map(|m| {
        if m == 0 {
            pause_until_tomorrow(now, supervisor::local_offset())
        } else {
            now + Duration::minutes(i64::from(m))
        }
    });
    supervisor::get(&app).pause_notifications(until);
}

#[tauri::command]
pub fn hide_window(window: tauri::WebviewWindow) {
    crate::window::hide(&window);
}

/// The configured target `id` as the store knows it.
fn target_info(app: &AppHandle, id: &str) -> Result<TargetInfo> {
    configured(app)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| format!("there is no target {id:?}"))
}

fn configured(app: &AppHandle) -> Result<Vec<TargetInfo>> {
    let config = supervisor::get(app)
        .settings()
        .engine_config()
        .map_err(text)?;
    Ok(config.targets.iter().map(TargetInfo::from).collect())
}

fn window(
    range: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    buckets: Option<u32>,
) -> Result<Window> {
    WindowArgs {
        range,
        from,
        to,
        buckets,
    }
    .resolve(Utc::now())
    .map_err(text)
}

/// One target's history: uptime, percentiles, status segments, incidents and a latency series.
#[tauri::command]
pub async fn history(
    app: AppHandle,
    target: String,
    range: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    buckets: Option<u32>,
) -> Result<HistoryView> {
    let window = window(range, from, to, buckets)?;
    let info = target_info(&app, &target)?;
    let supervisor = supervisor::get(&app);
    supervisor
        .store
        .history_view(&info, &window)
        .await
        .map_err(text)
}

/// Every configured target's history over one window, in configuration order.
#[tauri::command]
pub async fn timeline(
    app: AppHandle,
    range: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    buckets: Option<u32>,
) -> Result<TimelineView> {
    let window = window(range, from, to, buckets)?;
    let targets = configured(&app)?;
    let supervisor = supervisor::get(&app);
    supervisor
        .store
        .timeline(&targets, &window)
        .await
        .map_err(text)
}

/// Incidents of one target or all, newest first (see `store::IncidentArgs` for the defaults).
#[tauri::command]
pub async fn incidents(
    app: AppHandle,
    target: Option<String>,
    range: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<Incident>> {
    let args = IncidentArgs {
        target,
        range,
        limit,
    };
    let supervisor = supervisor::get(&app);
    supervisor
        .store
        .recent_incidents(&args, Utc::now())
        .await
        .map_err(text)
}

/// "Test connection": one probe of a target as the form has it, saving nothing. A key typed
/// into the form is used for this probe only; otherwise the keyring's or the environment's.
#[tauri::command]
pub async fn test_target(
    app: AppHandle,
    target: TargetFile,
    api_key: Option<String>,
) -> Result<TestResult> {
    let keys = supervisor::get(&app).keys.clone() as Arc<dyn KeySource>;
    test_connection(target, keys, api_key).await.map_err(text)
}
