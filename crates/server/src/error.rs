//! Errors of the server: every one answers `{"error": "<a sentence a person can act on>"}` with
//! the status code that says whose move it is.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use desktop_core::settings::SettingsError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The request is wrong: bad arguments, an invalid configuration, a bad range.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error(
        "this command needs the access token: open the address `llm-health serve` printed \
         (it ends in #token=…), or send `Authorization: Bearer <token>`"
    )]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("a request body must be JSON: send `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the config file {path}: {source}")]
    WriteConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// An invalid configuration (names line and key), or an edit of a target that is not there.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Anything else that is the server's fault.
    #[error("{0}")]
    Internal(String),
}

impl ServerError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::Unauthorized => StatusCode::UNAUTHORIZED,
            ServerError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServerError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServerError::Store(store::StoreError::UnknownTarget { .. }) => StatusCode::NOT_FOUND,
            ServerError::Store(
                store::StoreError::BadRange { .. } | store::StoreError::UnknownRange(_),
            ) => StatusCode::BAD_REQUEST,
            ServerError::Settings(SettingsError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ServerError::Settings(SettingsError::NoSuchTarget(_)) => StatusCode::NOT_FOUND,
            ServerError::Bind { .. }
            | ServerError::Settings(_)
            | ServerError::WriteConfig { .. }
            | ServerError::Store(_)
            | ServerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!("{self}");
        }
        let body = serde_json::json!({ "error": self.to_string() });
        (status, Json(body)).into_response()
    }
}
