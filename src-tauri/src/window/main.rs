//! LLM Health Monitor's dashboard window: the web UI in a webview, in a process the tray app
//! (`llm-health-monitor`) starts when the user opens the window, and that ends when it closes.
//! Every command of the page and every event for it travel over the link to the tray app, which
//! runs the engine (`controller::window_link`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod conformance;
mod ipc;
mod link;
mod view;

use controller::window_link::ToWindow;
use std::io::BufReader;

const NOT_ALONE: &str = "llm-health-window is the dashboard of llm-health-monitor, which \
    starts it: run llm-health-monitor (or open the dashboard from its tray icon)";

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LLM_HEALTH_LOG")
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!("{NOT_ALONE}");
        std::process::exit(2);
    }
    let mut input = BufReader::new(std::io::stdin());
    let Some(ToWindow::Open {
        route,
        geometry,
        webview_dir,
    }) = link::read_open(&mut input)
    else {
        eprintln!("{NOT_ALONE}");
        std::process::exit(2);
    };
    let link = match link::Link::over_stdout() {
        Ok(link) => link,
        Err(err) => {
            eprintln!("llm-health-window: no link to the app: {err}");
            std::process::exit(1);
        }
    };
    let opening = view::Opening {
        route,
        geometry,
        webview_dir,
    };
    let listening = link.clone();
    let built = tauri::Builder::default()
        .manage(link)
        .invoke_handler(ipc::handle)
        .on_window_event(view::on_window_event)
        .setup(move |app| {
            view::create(app.handle(), opening)?;
            listening.listen(input, app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    match built {
        Ok(app) => app.run(|_, _| {}),
        Err(err) => {
            tracing::error!("the dashboard window could not be opened: {err}");
            std::process::exit(1);
        }
    }
}
