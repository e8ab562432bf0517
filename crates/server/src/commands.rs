//! The UI's commands over HTTP: `POST /api/<name>` with the command's arguments as a JSON body,
//! and `GET /api/<name>?<arguments>` for the reads. The reply is the command's result as JSON.

use crate::error::ServerError;
use crate::session::Session;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use desktop_core::settings::parse_toml;
use monitor::config::{ConfigFile, TargetFile};
use monitor::probe::{EnvKeys, KeySource};
use monitor::redact::Redactor;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use store::{IncidentArgs, WindowArgs};

/// Whether a command only reads (no token needed, GET allowed) or changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The commands of API.md and what they need. Commands of the desktop app alone are listed so
/// they answer with why they are missing rather than as unknown.
pub fn access(name: &str) -> Option<Access> {
    Some(match name {
        "get_state" | "get_settings" | "export_toml" | "history" | "timeline" | "incidents" => {
            Access::Read
        }
        "check_now" | "save_settings" | "upsert_target" | "remove_target"
        | "set_target_enabled" | "import_toml" | "answer_offers" | "test_target" => Access::Write,
        name if APP_ONLY.contains(&name) => Access::Write,
        _ => return None,
    })
}

const APP_ONLY: [&str; 3] = ["set_muted", "set_api_key", "delete_api_key"];

/// A command's arguments as they came: a JSON body, or a query string.
enum Args {
    Json(Bytes),
    Query(Uri),
}

impl Args {
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ServerError> {
        self.parse_redacting(None)
    }

    /// Parse errors can quote the values they choke on; anything shaped like a key, and `key`
    /// itself, is masked before the message goes back.
    fn parse_redacting<T: DeserializeOwned>(&self, key: Option<&str>) -> Result<T, ServerError> {
        let bad = |e: String| {
            ServerError::BadRequest(format!("bad arguments: {}", Redactor::new(key).redact(&e)))
        };
        match self {
            Args::Json(body) => {
                // No body (or `null`) is no arguments.
                let body: &[u8] =
                    if body.iter().all(u8::is_ascii_whitespace) || body.as_ref() == b"null" {
                        b"{}"
                    } else {
                        body
                    };
                serde_json::from_slice(body).map_err(|e| bad(e.to_string()))
            }
            Args::Query(uri) => Query::<T>::try_from_uri(uri)
                .map(|Query(t)| t)
                .map_err(|e| bad(e.body_text())),
        }
    }

    /// The `apiKey` argument, read before anything else, so no error can quote it.
    fn api_key(&self) -> Option<String> {
        let Args::Json(body) = self else { return None };
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        value.get("apiKey")?.as_str().map(str::to_string)
    }
}

pub async fn post(
    State(session): State<Arc<Session>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    respond(run(&session, &name, Args::Json(body)).await)
}

pub async fn get(
    State(session): State<Arc<Session>>,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    match access(&name) {
        Some(Access::Read) => respond(run(&session, &name, Args::Query(uri)).await),
        Some(Access::Write) => ServerError::MethodNotAllowed(format!(
            "{name} changes state: send it as POST /api/{name} with a JSON body"
        ))
        .into_response(),
        None => unknown(&name).into_response(),
    }
}

/// Anything but GET and POST on a command.
pub async fn other(method: Method, Path(name): Path<String>) -> Response {
    ServerError::MethodNotAllowed(format!(
        "{method} is not a way to call {name}: use POST (or GET for a read)"
    ))
    .into_response()
}

fn respond(result: Result<Response, ServerError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

fn unknown(name: &str) -> ServerError {
    ServerError::NotFound(format!("there is no command {name:?}"))
}

fn ok<T: serde::Serialize>(value: T) -> Result<Response, ServerError> {
    Ok(Json(value).into_response())
}

/// A large JSON reply written into a buffer of about its size: growing a buffer by doubling to
/// a megabyte (a week's timeline) costs copies and page faults that showed in profiles.
fn ok_sized<T: serde::Serialize>(value: T, size_hint: usize) -> Result<Response, ServerError> {
    let mut body = Vec::with_capacity(size_hint);
    serde_json::to_writer(&mut body, &value)
        .map_err(|e| ServerError::Internal(format!("the reply has no JSON form: {e}")))?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

/// About how many bytes of JSON one target's view takes: its latency points, and the rest.
fn view_size(buckets: u32) -> usize {
    buckets as usize * 150 + 4096
}

#[derive(Deserialize)]
struct TargetArg {
    target: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SaveSettings {
    config: ConfigFile,
    // The page sends what the app has; `serve` has neither, so they are accepted and left.
    #[allow(dead_code)]
    notifications: Option<serde_json::Value>,
    #[allow(dead_code)]
    start_at_login: Option<bool>,
}

#[derive(Deserialize)]
struct Upsert {
    target: TargetFile,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
struct Enabled {
    id: String,
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportToml {
    text_toml: String,
}

#[derive(Deserialize)]
struct Offers {
    targets: Vec<TargetFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestTarget {
    target: TargetFile,
    api_key: Option<String>,
}

/// `history`'s arguments: a target and a window. (Spelled out rather than flattened: a flattened
/// struct cannot read numbers from a query string.)
#[derive(Deserialize)]
struct HistoryArgs {
    target: String,
    range: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    buckets: Option<u32>,
}

async fn run(session: &Arc<Session>, name: &str, args: Args) -> Result<Response, ServerError> {
    match name {
        "get_state" => ok(session.state()),
        "get_settings" => ok(session.settings()),
        "export_toml" => ok(session.config_file().to_toml().map_err(|e| {
            ServerError::Internal(format!("the configuration has no TOML form: {e}"))
        })?),
        "check_now" => {
            let a: TargetArg = args.parse()?;
            session.check_now(a.target.as_deref())?;
            ok(())
        }
        "save_settings" => {
            let a: SaveSettings = args.parse()?;
            replace_config(session, a.config).await
        }
        "upsert_target" => {
            let a: Upsert = args.parse()?;
            session
                .edit(|file| {
                    file.upsert_target(a.target);
                    Ok(())
                })
                .await?;
            ok(())
        }
        "remove_target" => {
            let a: Id = args.parse()?;
            session
                .edit(|file| match file.remove_target(&a.id) {
                    Some(_) => Ok(()),
                    None => Err(no_target(&a.id)),
                })
                .await?;
            ok(())
        }
        "set_target_enabled" => {
            let a: Enabled = args.parse()?;
            session
                .edit(|file| match file.set_enabled(&a.id, a.enabled) {
                    true => Ok(()),
                    false => Err(no_target(&a.id)),
                })
                .await?;
            ok(())
        }
        "import_toml" => {
            let a: ImportToml = args.parse()?;
            replace_config(session, parse_toml(&a.text_toml, "imported config")?).await
        }
        "answer_offers" => {
            let a: Offers = args.parse()?;
            session.answer_offers(a.targets).await?;
            ok(())
        }
        "test_target" => {
            let key = args.api_key();
            let a: TestTarget = args.parse_redacting(key.as_deref())?;
            let keys: Arc<dyn KeySource> = Arc::new(EnvKeys);
            let result = monitor::round::test_connection(a.target, keys, a.api_key)
                .await
                .map_err(|e| {
                    ServerError::BadRequest(Redactor::new(key.as_deref()).redact(&e.to_string()))
                })?;
            ok(result)
        }
        "history" => {
            let a: HistoryArgs = args.parse()?;
            let window = WindowArgs {
                range: a.range,
                from: a.from,
                to: a.to,
                buckets: a.buckets,
            }
            .resolve(Utc::now())?;
            let info = session
                .targets()
                .into_iter()
                .find(|t| t.id == a.target)
                .ok_or_else(|| no_target(&a.target))?;
            ok_sized(
                session.store().history_view(&info, &window).await?,
                view_size(window.buckets),
            )
        }
        "timeline" => {
            let a: WindowArgs = args.parse()?;
            let window = a.resolve(Utc::now())?;
            let targets = session.targets();
            let timeline = session.store().timeline(&targets, &window).await?;
            ok_sized(timeline, targets.len() * view_size(window.buckets))
        }
        "incidents" => {
            let a: IncidentArgs = args.parse()?;
            ok(session.store().recent_incidents(&a, Utc::now()).await?)
        }
        name if APP_ONLY.contains(&name) => Err(ServerError::NotFound(format!(
            "{name} exists only in the desktop app: `llm-health serve` has no notifications to \
             mute and reads API keys from the environment variables the targets name (api_key_env)"
        ))),
        name => Err(unknown(name)),
    }
}

/// Saving the whole configuration, from the form or from an imported file.
async fn replace_config(session: &Session, config: ConfigFile) -> Result<Response, ServerError> {
    session
        .edit(|file| {
            *file = config;
            Ok(())
        })
        .await?;
    ok(())
}

fn no_target(id: &str) -> ServerError {
    ServerError::NotFound(format!("there is no target {id:?}"))
}
