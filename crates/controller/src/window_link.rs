//! The line protocol between the tray app and its window process.
//!
//! The tray app (engine, tray, notices) does not link WebKit: a tray app is hidden nearly all of
//! its life, and WebKit's libraries, web process and network process are most of a webview
//! app's memory. The window is a process of its own, started when the user opens it and gone
//! when it closes. It talks to the tray app over its standard input and output, one JSON value
//! per line: a pipe only the two processes hold, so there is no port, socket or token for
//! anything else on the machine to reach.
//!
//! The window forwards every command of its page as it came (name and arguments); the tray app
//! runs it on the core and sends the reply back, and pushes the core's events and state while
//! the window lives. [`serve_window`] is the tray app's half.

use crate::command::{Command, CommandName};
use crate::controller::{Handle, Update};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::path::PathBuf;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::mpsc;

/// Where the window was and how large, in physical pixels, kept for its next opening.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowGeometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// From the tray app to the window process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWindow {
    /// The first line: what the new window needs before it can be made.
    Open {
        /// The view to open ("settings", "target/<id>", …), or the dashboard.
        route: Option<String>,
        /// Where it was last, if anywhere.
        geometry: Option<WindowGeometry>,
        /// Where the web view keeps its storage: in the profile.
        webview_dir: PathBuf,
    },
    /// The user opened it again while it is open: to the front, on this view.
    Show { route: Option<String> },
    /// A command's answer: `{"Ok": …}` the reply's JSON (`null` included, which an optional
    /// field would read as missing), or `{"Err": …}` the refusal's words.
    Reply {
        id: u64,
        answer: Result<Box<RawValue>, String>,
    },
    /// An event for the page ("monitor-event", "monitor-state") with its JSON.
    Event {
        name: String,
        payload: Box<RawValue>,
    },
    /// Close the window (Hide window, Quit): the process ends.
    Close,
}

/// From the window process to the tray app.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWindow {
    /// One command of the page, as it came: its arguments are the text the page sent, which
    /// the core parses as it parses an HTTP body (`CommandName::from_json`).
    Call {
        id: u64,
        command: String,
        #[serde(default)]
        args: String,
    },
    /// Where the window is now (sent when it closes), for its next opening.
    Geometry(WindowGeometry),
}

impl ToWindow {
    /// One line of the protocol, newline included.
    pub fn line(&self) -> String {
        line_of(self)
    }
}

impl FromWindow {
    pub fn line(&self) -> String {
        line_of(self)
    }
}

fn line_of(message: &impl Serialize) -> String {
    // Every message is made of strings, numbers and JSON that was valid when it was parsed:
    // serializing cannot fail, and a line break inside JSON text is always escaped.
    let mut line = serde_json::to_string(message).unwrap_or_else(|_| "null".into());
    line.push('\n');
    line
}

/// What the page asked for, as the core's command; the refusal's words when it is none.
pub fn command_of(name: &str, args: &str) -> Result<Command, String> {
    CommandName::parse(name)
        .and_then(|name| name.from_json(args.as_bytes()))
        .map_err(|e| e.to_string())
}

fn raw(json: &str) -> Option<Box<RawValue>> {
    RawValue::from_string(json.to_string()).ok()
}

/// The tray app's half of the link, for one window process: answers its commands on the core
/// and pushes the core's events and state to it through `to_window`, until the window's output
/// ends (the process is gone). Geometry reports go to `on_geometry`.
pub async fn serve_window<R>(
    core: Handle,
    from_window: R,
    to_window: mpsc::UnboundedSender<ToWindow>,
    on_geometry: impl Fn(WindowGeometry),
) where
    R: AsyncBufRead + Unpin,
{
    let mut updates = core.subscribe();
    let mut lines = from_window.lines();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let line = match line {
                    Ok(Some(line)) => line,
                    Ok(None) => return,
                    Err(err) => {
                        tracing::warn!("the window's link broke: {err}");
                        return;
                    }
                };
                match serde_json::from_str::<FromWindow>(&line) {
                    Ok(FromWindow::Call { id, command, args }) => {
                        answer(&core, &to_window, id, &command, &args);
                    }
                    Ok(FromWindow::Geometry(geometry)) => on_geometry(geometry),
                    // Not ours: a library writing to the window's standard output.
                    Err(err) => tracing::debug!("not a window message ({err}): {line:.200}"),
                }
            }
            update = updates.recv() => {
                use tokio::sync::broadcast::error::RecvError;
                let event = match update {
                    Ok(Update::Monitor(event)) => raw(&event.json()).map(|p| ("monitor-event", p)),
                    Ok(Update::State(json)) => raw(&json).map(|p| ("monitor-state", p)),
                    // What was missed is in a fresh state.
                    Err(RecvError::Lagged(_)) => {
                        send_state(&core, &to_window);
                        None
                    }
                    Err(RecvError::Closed) => return,
                };
                if let Some((name, payload)) = event {
                    let _ = to_window.send(ToWindow::Event { name: name.into(), payload });
                }
            }
        }
    }
}

/// Runs one command off the loop (a history read can take a while; the window may ask for
/// more meanwhile) and sends its reply.
fn answer(
    core: &Handle,
    to_window: &mpsc::UnboundedSender<ToWindow>,
    id: u64,
    name: &str,
    args: &str,
) {
    let command = command_of(name, args);
    let core = core.clone();
    let to_window = to_window.clone();
    tokio::spawn(async move {
        let reply = match command {
            Ok(command) => core.run(command).await.map_err(|e| e.to_string()),
            Err(refused) => Err(refused),
        };
        let answer =
            reply.and_then(|json| raw(&json).ok_or_else(|| "the reply was not JSON".to_string()));
        let _ = to_window.send(ToWindow::Reply { id, answer });
    });
}

/// The whole state, fresh, to the window.
pub fn send_state(core: &Handle, to_window: &mpsc::UnboundedSender<ToWindow>) {
    let core = core.clone();
    let to_window = to_window.clone();
    tokio::spawn(async move {
        match core.run(Command::GetState(Default::default())).await {
            Ok(json) => {
                if let Some(payload) = raw(&json) {
                    let _ = to_window.send(ToWindow::Event {
                        name: "monitor-state".into(),
                        payload,
                    });
                }
            }
            Err(err) => tracing::warn!("state not sent to the window: {err}"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_a_line_with_their_json_as_it_was() {
        let call = FromWindow::Call {
            id: 7,
            command: "history".into(),
            args: r#"{"target":"a\nb","range":"24h"}"#.into(),
        };
        let line = call.line();
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        let FromWindow::Call { id, command, args } =
            serde_json::from_str(line.trim_end()).expect("parses")
        else {
            panic!("not a call: {line}");
        };
        assert_eq!((id, command.as_str()), (7, "history"));
        assert_eq!(args, r#"{"target":"a\nb","range":"24h"}"#);

        for json in [r#"{"points":[1,2]}"#, "null"] {
            let reply = ToWindow::Reply {
                id: 7,
                answer: raw(json).ok_or_else(String::new),
            };
            let back: ToWindow = serde_json::from_str(reply.line().trim_end()).expect("parses");
            match back {
                ToWindow::Reply {
                    id: 7,
                    answer: Ok(ok),
                } => assert_eq!(ok.get(), json),
                other => panic!("{other:?}"),
            }
        }
        let close: ToWindow = serde_json::from_str(ToWindow::Close.line().trim_end()).expect("c");
        assert!(matches!(close, ToWindow::Close));
    }

    #[test]
    fn an_unknown_command_or_bad_arguments_are_refused_in_words() {
        assert!(command_of("get_state", "").is_ok());
        let unknown = command_of("rm_rf", "").expect_err("unknown");
        assert!(unknown.contains("rm_rf"), "{unknown}");
        assert!(command_of("history", r#"{"target": 5}"#).is_err());
    }
}
