// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod autostart;
#[cfg(test)]
mod conformance;
mod desktop;
mod ipc;
mod keys;
mod manpage;
mod notifier;
mod profile;
mod settings;
mod tray;
mod tray_host;
mod window;

use anyhow::Context;
use clap::Parser;
use controller::command::{CheckNowArgs, PauseArgs, SnoozeArgs};
use controller::{Command, Options, Shell, Update};
use desktop::DesktopShell;
use keys::{Keyring, KeyringKeys};
use monitor::config::ConfigFile;
use notifier::{DesktopNotices, Look, Outgoing};
use profile::Profile;
use settings::SettingsStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::Store;
use tauri::{Manager, RunEvent};

/// LLM Health Monitor: a tray app that watches your LLM endpoints.
#[derive(Debug, Clone, Parser)]
#[command(name = "llm-health-monitor", version = build_info::VERSION)]
struct Args {
    /// Watch the targets of this TOML file (the format `llm-health` reads). They replace the
    /// profile's targets at every start; notification settings stay.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Keep settings, history, logs and keyring entries in a separate profile rooted at DIR
    /// (a throwaway profile for trying a config or for tests). Without it, settings are in
    /// ~/.config/llm-health/ and history and logs in ~/.local/share/llm-health/, where the
    /// llm-health command line finds them.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Write the man page into DIR and exit (for packaging).
    #[arg(long, value_name = "DIR", hide = true)]
    generate_man: Option<PathBuf>,
}

const KEYRING_SERVICE: &str = "dev.llmhealth.monitor";

fn main() {
    let args = Args::parse();
    // Before anything else: writing man pages needs no profile, display or bus.
    if let Some(dir) = &args.generate_man {
        std::process::exit(manpage::generate(dir));
    }
    let profile = match Profile::resolve(args.data_dir.as_deref()) {
        Ok(profile) => profile,
        Err(err) => {
            eprintln!("llm-health-monitor: {err:#}");
            std::process::exit(1);
        }
    };
    init_logging(&profile.log_dir);
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
    if let Err(err) = run(args, profile, imported) {
        fail_to_start(&err);
    }
}

/// Ends a start that failed (a history another monitor writes, a folder that cannot be made):
/// in the log, on stderr, and, since nobody reads stderr of an app started from a menu or at
/// login, in a notice.
fn fail_to_start(err: &anyhow::Error) -> ! {
    tracing::error!("{err:#}");
    eprintln!("llm-health-monitor: {err:#}");
    let shown = notify_rust::Notification::new()
        .appname(desktop_core::APP_NAME)
        .summary(&format!("{} could not start", desktop_core::APP_NAME))
        .body(&format!("{err:#}"))
        .show();
    if let Err(notice) = shown {
        tracing::warn!("the failure could not be shown as a notice: {notice}");
    }
    std::process::exit(1);
}

/// `LLM_HEALTH_LOG` sets the level (default `info`). Lines go to stderr, with colors only on a
/// terminal (the journal shows escape codes as they are), and to a log under the data
/// directory, a file a day, the last week kept.
fn init_logging(log_dir: &Path) {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LLM_HEALTH_LOG")
        .unwrap_or_else(|_| "info".into());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let file = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("llm-health-monitor")
        .filename_suffix("log")
        .max_log_files(7)
        .build(log_dir);
    let (file, unwritable) = match file {
        Ok(appender) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(appender)
                    .with_ansi(false),
            ),
            None,
        ),
        Err(err) => (None, Some(err)),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
    if let Some(err) = unwritable {
        tracing::warn!("no log file in {}: {err}", log_dir.display());
    }
}

fn run(args: Args, profile: Profile, imported: Option<ConfigFile>) -> anyhow::Result<()> {
    let builder = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show(app, None);
        }))
        .plugin(tauri_plugin_store::Builder::default().build());
    // On Linux the app writes its autostart entry itself (autostart.rs).
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(
        tauri_plugin_autostart::Builder::new()
            .args(
                autostart::Launch::for_this_run(args.config.as_deref(), args.data_dir.as_deref())
                    .args,
            )
            .build(),
    );
    let app = builder
        .manage(window::Visibility::default())
        .invoke_handler(ipc::handle)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_window_event(window::on_window_event)
        .setup(move |app| {
            // Tauri would panic on an error here, and without its causes.
            if let Err(err) = setup(app, &args, &profile, imported.clone()) {
                fail_to_start(&err);
            }
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

fn setup(
    app: &mut tauri::App,
    args: &Args,
    profile: &Profile,
    imported: Option<ConfigFile>,
) -> anyhow::Result<()> {
    let handle = app.handle().clone();
    let mut warnings: Vec<String> = Vec::new();
    if profile.shared {
        // Earlier versions' profile, in the platform's app data folder.
        if let Some(moved) = handle
            .path()
            .app_data_dir()
            .ok()
            .and_then(|old| profile::move_old_profile(&old, profile))
        {
            tracing::info!("{moved}");
            warnings.push(moved);
        }
    }
    let data_dir = profile
        .data_dir
        .canonicalize()
        .unwrap_or(profile.data_dir.clone());
    let settings_path = &profile.settings_path;
    let file = SettingsStore::open(&handle, settings_path)?;
    // The window's geometry stays in the store for the window's next opening.
    let (mut settings, _, unreadable) = file.load();
    warnings.extend(unreadable);
    let config_source = match (&args.config, imported) {
        (Some(path), Some(config)) => {
            settings.config = config;
            settings.onboarded = true;
            path.display().to_string()
        }
        _ => {
            if let Some(told) = controller::paths::default_config_path()
                .filter(|_| profile.shared)
                .and_then(|path| profile::import_cli_config(&mut settings, &path))
            {
                tracing::info!("{told}");
                warnings.push(told);
            }
            settings_path.display().to_string()
        }
    };
    controller::SettingsFile::save(&file, &settings)?;
    app.manage(file.clone());
    app.manage(window::WebviewData(profile.data_dir.join("webview")));

    let db_path = &profile.db_path;
    let (store, notes) = tauri::async_runtime::block_on(Store::open_for_run(db_path))
        .with_context(|| format!("opening the history database {}", db_path.display()))?;
    warnings.extend(notes.damage);
    if let Some(report) = notes.unclean {
        tracing::info!("{report}");
    }

    let service = match &args.data_dir {
        None => KEYRING_SERVICE.to_string(),
        Some(_) => format!("{KEYRING_SERVICE}:{}", data_dir.display()),
    };
    let launch = autostart::Launch::for_this_run(args.config.as_deref(), args.data_dir.as_deref());
    // The entry follows the app: after an install or a move it starts this program again.
    #[cfg(target_os = "linux")]
    if settings.start_at_login {
        if let Err(err) = autostart::set(true, &launch) {
            tracing::warn!("start at login not refreshed: {err}");
        }
    }
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
        desktop: Some(Arc::new(DesktopShell::new(handle.clone(), launch))),
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
        let _ = notices.send(Outgoing::from_app(warning));
    }
    forward_to_window(&handle, started.handle);
    show_window_without_tray(&handle, notices);
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

/// Without a tray host the app would be invisible: the window opens instead, and a notice says
/// why and what to install.
fn show_window_without_tray(app: &tauri::AppHandle, notices: std::sync::mpsc::Sender<Outgoing>) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("tray-host".into())
        .spawn(move || {
            if tray_host::wait_for_host() {
                return;
            }
            tracing::warn!("{}", tray_host::NO_TRAY);
            window::show(&app, None);
            let _ = notices.send(Outgoing::from_app(tray_host::NO_TRAY.into()));
        });
    if let Err(err) = spawned {
        tracing::warn!("cannot look for a tray host: {err}");
    }
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
