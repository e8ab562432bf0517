//! Errors of the server: every one answers `{"error": "<a sentence a person can act on>"}` with
//! the status code that says whose move it is. A command's own errors are the core's, worded
//! once for both transports; this adds what only HTTP has (token, Host, Origin, methods).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use controller::{CoreError, ErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// What a command answered.
    #[error(transparent)]
    Core(#[from] CoreError),
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
    /// The config file given with `--config` does not validate (names line and key).
    #[error(transparent)]
    Config(#[from] monitor::config::ConfigError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(
        "{0} live event streams are open, the most this server keeps; close a tab of the page \
         (or raise the limit) and reload"
    )]
    TooManyStreams(usize),
    #[error("{0}")]
    Internal(String),
}

impl ServerError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Core(e) => match e.kind() {
                ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict => StatusCode::CONFLICT,
                ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ServerError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::Unauthorized => StatusCode::UNAUTHORIZED,
            ServerError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServerError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServerError::Config(_) => StatusCode::BAD_REQUEST,
            ServerError::TooManyStreams(_) => StatusCode::SERVICE_UNAVAILABLE,
            ServerError::Bind { .. } | ServerError::Store(_) | ServerError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
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
