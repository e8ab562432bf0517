// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod keys;
mod notifier;
mod settings;
mod supervisor;
mod tray;
mod window;

use anyhow::Context;
use clap::Parser;
use desktop_core::api::Offer;
use desktop_core::notify::{Notice, Urgency};
use desktop_core::settings::parse_toml;
use keys::KeyringKeys;
use settings::SettingsFile;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
use supervisor::{Parts, Supervisor, WINDOW};
use tauri::{Manager, RunEvent};

/// LLM Health Monitor: a tray app that watches your LLM endpoints.
#[derive(Debug, Clone, Parser)]
#[command(name = "llm-health-monitor", version)]
struct Args {
    /// Watch the targets of this TOML file (the format `llm-health` reads). They replace the
    /// profile's targets at every start; notification settings stay.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Keep settings, history and keyring entries in a separate profile rooted at DIR
    /// (a throwaway profile for trying a config or for tests).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

const KEYRING_SERVICE: &str = "dev.llmhealth.monitor";

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LLM_HEALTH_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    // A malformed --config is the user's to fix: name line and key, exit before any window.
    let imported = match &args.config {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|text| {
                parse_toml(&text, &path.display().to_string()).map_err(|e| e.to_string())
            }) {
            Ok(file) => Some(file),
            Err(message) => {
                eprintln!("llm-health-monitor: {message}");
                std::process::exit(2);
            }
        },
        None => None,
    };
    if let Err(err) = run(args, imported) {
        eprintln!("llm-health-monitor: {err:#}");
        std::process::exit(1);
    }
}

fn run(args: Args, imported: Option<monitor::config::ConfigFile>) -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show(app, None);
        }))
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(tauri::generate_handler![
            commands::get_state,
            commands::check_now,
            commands::get_settings,
            commands::save_settings,
            commands::upsert_target,
            commands::remove_target,
            commands::set_target_enabled,
            commands::set_muted,
            commands::set_api_key,
            commands::delete_api_key,
            commands::import_toml,
            commands::export_toml,
            commands::answer_offers,
            commands::history,
            commands::timeline,
            commands::incidents,
            commands::test_target,
            commands::pause_notifications,
            commands::hide_window,
        ])
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_window_event(window::on_window_event)
        .setup(move |app| {
            setup(app, &args, imported.clone())?;
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("starting the app")?;
    app.run(|app, event| match event {
        // Closing the last window must not end a tray app; only Quit (an explicit exit code) does.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(supervisor) = app.try_state::<Arc<Supervisor>>() {
                tauri::async_runtime::block_on(supervisor.stop());
            }
        }
        _ => {}
    });
    Ok(())
}

fn setup(
    app: &mut tauri::App,
    args: &Args,
    imported: Option<monitor::config::ConfigFile>,
) -> anyhow::Result<()> {
    let handle = app.handle().clone();
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => handle.path().app_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize().unwrap_or(data_dir);
    let settings_path = data_dir.join("settings.json");
    let file = SettingsFile::open(&handle, &settings_path)?;
    let (mut settings, unreadable) = file.load();
    let mut warnings: Vec<String> = unreadable.into_iter().collect();
    let config_source = match (&args.config, imported) {
        (Some(path), Some(config)) => {
            settings.config = config;
            settings.onboarded = true;
            path.display().to_string()
        }
        _ => settings_path.display().to_string(),
    };
    let config = match settings.engine_config() {
        Ok(config) => config,
        Err(err) => {
            warnings.push(format!(
                "saved targets are invalid ({err}); watching nothing until they are fixed"
            ));
            monitor::config::Config::default()
        }
    };
    file.save(&settings)?;

    let db_path = data_dir.join("history.db");
    let (store, notes) = tauri::async_runtime::block_on(Store::open_for_run(&db_path))
        .with_context(|| format!("opening the history database {}", db_path.display()))?;
    warnings.extend(notes.damage);
    if let Some(report) = notes.unclean {
        tracing::info!("{report}");
    }

    let service = match &args.data_dir {
        None => KEYRING_SERVICE.to_string(),
        Some(_) => format!("{KEYRING_SERVICE}:{}", data_dir.display()),
    };
    let first_run =
        args.config.is_none() && settings.config.targets.is_empty() && !settings.onboarded;
    if let (Some(window), Some(geometry)) = (app.get_webview_window(WINDOW), settings.window) {
        window::restore_geometry(&window, geometry);
    }
    let parts = Parts {
        store,
        file,
        settings,
        keys: Arc::new(KeyringKeys::new(service)),
        data_dir,
        config_source,
    };
    // The history writer is a task: it must be spawned from inside the async runtime.
    let supervisor =
        tauri::async_runtime::block_on(async { Supervisor::new(handle.clone(), parts) });
    app.manage(supervisor.clone());
    supervisor.refresh_tray();
    for warning in warnings {
        tracing::warn!("{warning}");
        supervisor.notify(Notice {
            summary: desktop_core::APP_NAME.into(),
            body: warning,
            urgency: Urgency::Normal,
            targets: Vec::new(),
        });
    }

    let starting = supervisor.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(err) = starting.start_engine(config).await {
            tracing::error!("monitoring did not start: {err:#}");
        }
        if first_run {
            offer_detected(&starting).await;
        }
    });
    stop_on_signals(&handle);
    Ok(())
}

/// First run: probe for local servers and cloud keys, and show what was found. Nothing is
/// added until the user says so.
async fn offer_detected(supervisor: &Arc<Supervisor>) {
    if let Some(offers) = Offer::detected().await {
        supervisor.set_offers(Some(offers));
        window::show(supervisor.app(), Some("onboarding"));
    }
}

fn on_menu(app: &tauri::AppHandle, id: &str) {
    use desktop_core::tray::{pause_until_tomorrow, MenuAction};
    let Some(action) = MenuAction::from_id(id) else {
        return;
    };
    let supervisor = supervisor::get(app);
    let now = chrono::Utc::now();
    match action {
        MenuAction::Target(target) => window::show(app, Some(&format!("target/{target}"))),
        MenuAction::CheckNow => supervisor.check_now(None),
        MenuAction::PauseHour => {
            supervisor.pause_notifications(Some(now + chrono::Duration::hours(1)))
        }
        MenuAction::PauseUntilTomorrow => supervisor
            .pause_notifications(Some(pause_until_tomorrow(now, supervisor::local_offset()))),
        MenuAction::ResumeNotifications => supervisor.pause_notifications(None),
        MenuAction::OpenDashboard => window::show(app, None),
        MenuAction::OpenSettings => window::show(app, Some("settings")),
        MenuAction::Quit => app.exit(0),
        MenuAction::Info => {}
    }
}

/// SIGTERM and Ctrl-C end the app the way Quit does, so history records a clean stop.
fn stop_on_signals(app: &tauri::AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let Ok(mut term) = signal(SignalKind::terminate()) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("stopping on signal");
        app.exit(0);
    });
}
