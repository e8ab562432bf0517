// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod conformance;
mod desktop;
mod ipc;
mod keys;
mod manpage;
mod notifier;
mod settings;
mod tray;
mod window;

use anyhow::Context;
use clap::Parser;
use controller::command::{CheckNowArgs, PauseArgs, SnoozeArgs};
use controller::{Command, Options, Shell, Update};
use desktop::DesktopShell;
use desktop_core::notice::Notice;
use keys::{Keyring, KeyringKeys};
use monitor::config::ConfigFile;
use notifier::{DesktopNotices, Look, Outgoing};
use settings::SettingsStore;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
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
    /// Write the man page into DIR and exit (for packaging).
    #[arg(long, value_name = "DIR", hide = true)]
    generate_man: Option<PathBuf>,
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
    if let Some(dir) = &args.generate_man {
        std::process::exit(manpage::generate(dir));
    }
    // A malformed --config is the user's to fix: name line and key, exit before any window.
    let imported = match &args.config {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|text| {
                ConfigFile::parse_checked(&text, &path.display().to_string())
                    .map_err(|e| e.to_string())
            }) {
            Ok((file, _)) => Some(file),
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

fn run(args: Args, imported: Option<ConfigFile>) -> anyhow::Result<()> {
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
        .manage(window::Visibility::default())
        .invoke_handler(ipc::handle)
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
            if let Some(core) = app.try_state::<controller::Handle>() {
                tauri::async_runtime::block_on(core.stop());
            }
            if let Some(file) = app.try_state::<SettingsStore>() {
                file.save_window();
            }
        }
        _ => {}
    });
    Ok(())
}

fn setup(app: &mut tauri::App, args: &Args, imported: Option<ConfigFile>) -> anyhow::Result<()> {
    let handle = app.handle().clone();
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => handle.path().app_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize().unwrap_or(data_dir);
    let settings_path = data_dir.join("settings.json");
    let file = SettingsStore::open(&handle, &settings_path)?;
    // The window's geometry stays in the store for the window's next opening.
    let (mut settings, _, unreadable) = file.load();
    let mut warnings: Vec<String> = unreadable.into_iter().collect();
    let config_source = match (&args.config, imported) {
        (Some(path), Some(config)) => {
            settings.config = config;
            settings.onboarded = true;
            path.display().to_string()
        }
        _ => settings_path.display().to_string(),
    };
    controller::SettingsFile::save(&file, &settings)?;
    app.manage(file.clone());

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
    let look = Look {
        icon: app_icon(&handle),
        desktop_entry: handle.config().identifier.clone(),
    };
    let clicked = handle.clone();
    let notices = notifier::spawn(
        look,
        Arc::new(move |route: Option<String>| window::show(&clicked, route.as_deref())),
    );
    let shell = Shell {
        settings_file: Box::new(file),
        keys: Some(Arc::new(Keyring(Arc::new(KeyringKeys::new(service))))),
        notifier: Some(Arc::new(DesktopNotices(notices.clone()))),
        desktop: Some(Arc::new(DesktopShell::new(handle.clone()))),
    };
    let options = Options {
        store,
        settings,
        data_dir,
        config_source,
        first_run,
    };
    // The controller's tasks must be spawned from inside the async runtime.
    let started = tauri::async_runtime::block_on(async { controller::start(options, shell) });
    app.manage(started.handle.clone());
    warnings.extend(started.warnings);
    for warning in warnings {
        tracing::warn!("{warning}");
        let _ = notices.send(Outgoing::plain(Notice {
            summary: desktop_core::APP_NAME.into(),
            body: warning,
            urgency: alerts::Urgency::Normal,
            targets: Vec::new(),
        }));
    }
    forward_to_window(&handle, started.handle);
    stop_on_signals(&handle);
    Ok(())
}

/// The app's icon for its notices: a PNG in the app's cache folder (written when missing or
/// different), since a notification server reads the icon from a file or its icon theme, and
/// the theme has the app's icon only when it is installed. Without the file, the theme's icon
/// of the app's desktop entry.
fn app_icon(app: &tauri::AppHandle) -> String {
    const PNG: &[u8] = include_bytes!("../../icons/128x128.png");
    let fallback = app.config().identifier.clone();
    let Ok(dir) = app.path().app_cache_dir() else {
        return fallback;
    };
    let path = dir.join("notification-icon.png");
    if std::fs::read(&path).ok().as_deref() != Some(PNG) {
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, PNG));
        if let Err(err) = written {
            tracing::warn!("notices without the app's icon ({}): {err}", path.display());
            return fallback;
        }
    }
    path.display().to_string()
}

/// Engine events and state changes reach the window while it is visible, as the core
/// serialized them.
fn forward_to_window(app: &tauri::AppHandle, core: controller::Handle) {
    let app = app.clone();
    let mut updates = core.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match updates.recv().await {
                Ok(Update::Monitor(event)) => {
                    if window::is_visible(&app) {
                        window::emit_json(&app, "monitor-event", &event.json());
                    }
                }
                Ok(Update::State(json)) => window::emit_json(&app, "monitor-state", &json),
                // What was missed is in a fresh state.
                Err(RecvError::Lagged(_)) => window::emit_state(&app),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

fn on_menu(app: &tauri::AppHandle, id: &str) {
    use desktop_core::tray::MenuAction;
    let Some(action) = MenuAction::from_id(id) else {
        return;
    };
    let command = match action {
        MenuAction::Target(target) => {
            return window::show(app, Some(&window::target_route(&target)));
        }
        MenuAction::OpenDashboard => return window::show(app, None),
        MenuAction::OpenSettings => return window::show(app, Some("settings")),
        MenuAction::Quit => return app.exit(0),
        MenuAction::Info => return,
        MenuAction::CheckNow => Command::CheckNow(CheckNowArgs { target: None }),
        MenuAction::PauseHour => Command::PauseNotifications(PauseArgs { minutes: Some(60) }),
        MenuAction::PauseUntilTomorrow => {
            Command::PauseNotifications(PauseArgs { minutes: Some(0) })
        }
        MenuAction::ResumeNotifications => Command::PauseNotifications(PauseArgs { minutes: None }),
        MenuAction::SnoozeHour(id) => Command::SnoozeTarget(SnoozeArgs {
            id,
            minutes: Some(60),
        }),
        MenuAction::SnoozeUntilTomorrow(id) => Command::SnoozeTarget(SnoozeArgs {
            id,
            minutes: Some(0),
        }),
        MenuAction::EndSnooze(id) => Command::SnoozeTarget(SnoozeArgs { id, minutes: None }),
    };
    let core = desktop::core(app);
    tauri::async_runtime::spawn(async move {
        if let Err(err) = core.run(command).await {
            tracing::warn!("{err}");
        }
    });
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
