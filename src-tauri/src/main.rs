//! LLM Health Monitor's tray app: the engine, the tray icon and the notices, in a process that
//! does not link GTK or WebKit. The dashboard is a process of its own (`llm-health-window`),
//! started when it is opened and gone when it closes (`window.rs`).

mod autostart;
mod desktop;
mod instance;
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
use controller::{Command, Options, Shell};
use desktop::DesktopShell;
use desktop_core::tray::MenuAction;
use desktop_core::IDENTIFIER;
use keys::{Keyring, KeyringKeys};
use monitor::config::ConfigFile;
use notifier::{DesktopNotices, Look, Outgoing};
use profile::Profile;
use settings::SettingsStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::Store;
use tokio::sync::mpsc;
use window::Windows;

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
    // A second launch shows the first one's window and ends, before it opens anything.
    let instance = match instance::claim(&profile.data_dir) {
        Ok(instance::Claim::First(listener)) => listener,
        Ok(instance::Claim::HandedOver) => std::process::exit(0),
        Err(err) => {
            eprintln!("llm-health-monitor: {err}");
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
    // One thread runs the engine, the tray and the link to the window, as the command line
    // does: at a few probes a minute there is nothing for a second one to do.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => fail_to_start(&anyhow::Error::new(err).context("starting the runtime")),
    };
    let ran = runtime.block_on(run(args, profile, imported, instance));
    if let Err(err) = ran {
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

async fn run(
    args: Args,
    profile: Profile,
    imported: Option<ConfigFile>,
    instance: instance::Listener,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Handle::current();
    let mut warnings: Vec<String> = Vec::new();
    if profile.shared {
        // Earlier versions' profile, in the platform's app data folder.
        if let Some(moved) = controller::paths::data_home()
            .map(|home| home.join(IDENTIFIER))
            .and_then(|old| profile::move_old_profile(&old, &profile))
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
    let file = SettingsStore::open(settings_path);
    let (mut settings, unreadable) = file.load();
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

    let db_path = &profile.db_path;
    let (store, notes) = Store::open_for_run(db_path)
        .await
        .with_context(|| format!("opening the history database {}", db_path.display()))?;
    warnings.extend(notes.damage);
    if let Some(report) = notes.unclean {
        tracing::info!("{report}");
    }

    let service = match &args.data_dir {
        None => IDENTIFIER.to_string(),
        Some(_) => format!("{IDENTIFIER}:{}", data_dir.display()),
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
    let windows = Windows::new(
        runtime.clone(),
        file.clone(),
        profile.data_dir.join("webview"),
    );
    let look = Look {
        icon: app_icon(),
        desktop_entry: IDENTIFIER.into(),
    };
    let clicked = windows.clone();
    let notices = notifier::spawn(
        look,
        Arc::new(move |route: Option<String>| clicked.open(route.as_deref())),
        runtime.clone(),
    );
    let (actions, mut clicks) = mpsc::unbounded_channel::<MenuAction>();
    let shell = Shell {
        settings_file: Box::new(file.clone()),
        keys: Some(Arc::new(Keyring(Arc::new(KeyringKeys::new(service))))),
        notifier: Some(Arc::new(DesktopNotices(notices.clone()))),
        desktop: Some(Arc::new(DesktopShell::new(
            runtime.clone(),
            windows.clone(),
            actions,
            launch,
        ))),
    };
    let options = Options {
        store,
        settings,
        data_dir,
        config_source,
        first_run,
    };
    let started = controller::start(options, shell);
    let core = started.handle;
    windows.serve(core.clone());
    warnings.extend(started.warnings);
    for warning in warnings {
        tracing::warn!("{warning}");
        let _ = notices.send(Outgoing::from_app(warning));
    }
    let later_launches = windows.clone();
    let _socket = instance.serve(&runtime, move || later_launches.open(None));
    show_window_without_tray(&windows, notices);

    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            click = clicks.recv() => match click {
                Some(MenuAction::Quit) | None => break,
                Some(action) => on_menu(&core, &windows, action),
            },
            () = &mut stop => {
                tracing::info!("stopping on signal");
                break;
            }
        }
    }
    windows.close();
    core.stop().await;
    file.save_window();
    Ok(())
}

/// The app's icon for its notices: a PNG in the app's cache folder (written when missing or
/// different), since a notification server reads the icon from a file or its icon theme, and
/// the theme has the app's icon only when it is installed. Without the file, the theme's icon
/// of the app's desktop entry.
fn app_icon() -> String {
    const PNG: &[u8] = include_bytes!("../../icons/128x128.png");
    let Some(dir) = controller::paths::cache_home().map(|home| home.join(IDENTIFIER)) else {
        return IDENTIFIER.into();
    };
    let path = dir.join("notification-icon.png");
    if std::fs::read(&path).ok().as_deref() != Some(PNG) {
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, PNG));
        if let Err(err) = written {
            tracing::warn!("notices without the app's icon ({}): {err}", path.display());
            return IDENTIFIER.into();
        }
    }
    path.display().to_string()
}

/// Without a tray host the app would be invisible: the window opens instead, and a notice says
/// why and what to install.
fn show_window_without_tray(windows: &Windows, notices: std::sync::mpsc::Sender<Outgoing>) {
    let windows = windows.clone();
    let spawned = std::thread::Builder::new()
        .name("tray-host".into())
        .spawn(move || {
            if tray_host::wait_for_host() {
                return;
            }
            tracing::warn!("{}", tray_host::NO_TRAY);
            windows.open(None);
            let _ = notices.send(Outgoing::from_app(tray_host::NO_TRAY.into()));
        });
    if let Err(err) = spawned {
        tracing::warn!("cannot look for a tray host: {err}");
    }
}

fn on_menu(core: &controller::Handle, windows: &Windows, action: MenuAction) {
    let command = match action {
        MenuAction::Target(target) => {
            return windows.open(Some(&window::target_route(&target)));
        }
        MenuAction::OpenDashboard => return windows.open(None),
        MenuAction::OpenSettings => return windows.open(Some("settings")),
        MenuAction::Quit | MenuAction::Info => return,
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
    let core = core.clone();
    tokio::spawn(async move {
        if let Err(err) = core.run(command).await {
            tracing::warn!("{err}");
        }
    });
}

/// SIGTERM and Ctrl-C end the app the way Quit does, so history records a clean stop.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_identifier_is_the_one_tauri_conf_names() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json");
        assert_eq!(conf["identifier"], desktop_core::IDENTIFIER);
    }
}
