//! The page's commands over HTTP: `POST /api/<name>` with the command's arguments as a JSON
//! body, and `GET /api/<name>?<arguments>` for the reads. The reply is the command's result as
//! JSON. Which commands exist and which need the token is the core's list
//! (`controller::command`); this only maps HTTP onto it.

use crate::error::ServerError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use controller::{Access, CommandName, Reply};

pub async fn post(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Access is decided on exactly the name that will run, and nothing is parsed before it.
    let name = match CommandName::parse(&name) {
        Ok(name) => name,
        Err(e) => return ServerError::from(e).into_response(),
    };
    if let Err(e) = app.guard.allows(name, &headers) {
        return e.into_response();
    }
    let command = match name.from_json(&body) {
        Ok(command) => command,
        Err(e) => return ServerError::from(e).into_response(),
    };
    respond(app.core.run(command).await)
}

pub async fn get(State(app): State<AppState>, Path(name): Path<String>, uri: Uri) -> Response {
    if name == "openapi.json" {
        return respond(Ok(app.openapi.to_string()));
    }
    let name = match CommandName::parse(&name) {
        Ok(name) => name,
        Err(e) => return ServerError::from(e).into_response(),
    };
    if name.access() == Access::Change {
        return ServerError::MethodNotAllowed(format!(
            "{name} changes state: send it as POST /api/{name} with a JSON body"
        ))
        .into_response();
    }
    match name.from_query(uri.query().unwrap_or("")) {
        Ok(command) => respond(app.core.run(command).await),
        Err(e) => ServerError::from(e).into_response(),
    }
}

/// Anything but GET and POST on a command.
pub async fn other(method: Method, Path(name): Path<String>) -> Response {
    ServerError::MethodNotAllowed(format!(
        "{method} is not a way to call {name}: use POST (or GET for a read)"
    ))
    .into_response()
}

fn respond(reply: Reply) -> Response {
    match reply {
        Ok(json) => ([(CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ServerError::from(e).into_response(),
    }
}
