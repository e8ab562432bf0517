//! An incident.io status page (`https://status.openai.com`, Groq's) serving the
//! Statuspage-compatible `/api/v2/...` JSON. What differs from Atlassian's lives in
//! `statuspage::Host`: ULID ids, a smaller `page` object, components without
//! `showcase`/`start_date`, shortlinks on the page itself, and a `summary.json`
//! that shows a rotating part of the components.

use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Router;
use serde_json::json;

use crate::body;
use crate::provider::{
    bearer, reason, request_uuid, set_header, status, ApiError, Ctx, Headroom, Provider,
};
use crate::state::AppState;
use crate::statuspage;

pub(crate) struct IncidentIo;

/// incident.io's API error shape: a type, the status, and a list of errors.
fn error_body(ctx: &Ctx, code: u16, kind: &str, message: &str) -> Response {
    body::json(
        status(code),
        &json!({
            "type": kind,
            "status": code,
            "request_id": request_uuid(ctx.seq),
            "errors": [{"code": kind, "message": message}],
        }),
    )
}

impl Provider for IncidentIo {
    fn routes(&self) -> Router<Arc<AppState>> {
        statuspage::routes()
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    /// A public page: no key is ever asked for.
    fn check(&self, _parts: &Parts, _expected: Option<&str>) -> Result<(), ApiError> {
        Ok(())
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response {
        match err {
            ApiError::MissingKey => {
                error_body(ctx, 401, "authentication_error", "No API key provided")
            }
            ApiError::BadKey { presented, echo } => {
                let message = if *echo {
                    format!("Invalid API key: {presented}")
                } else {
                    "Invalid API key".to_owned()
                };
                error_body(ctx, 401, "authentication_error", &message)
            }
            ApiError::RateLimited { .. } | ApiError::Quota => {
                error_body(ctx, 429, "rate_limited", "Too many requests")
            }
            ApiError::ModelNotFound(_) | ApiError::NoRoute => {
                error_body(ctx, 404, "not_found", "Not found")
            }
            ApiError::BadRequest(msg) => error_body(ctx, 400, "validation_error", msg),
            ApiError::MethodNotAllowed => error_body(ctx, 405, "method_not_allowed", reason(405)),
            ApiError::Status(code) => {
                let kind = match *code {
                    401 => "authentication_error",
                    404 => "not_found",
                    429 => "rate_limited",
                    503 => "service_unavailable",
                    c if c >= 500 => "internal_error",
                    _ => "invalid_request",
                };
                error_body(ctx, *code, kind, reason(*code))
            }
        }
    }

    fn decorate(&self, ctx: &Ctx, headers: &mut HeaderMap, _headroom: Headroom) {
        set_header(headers, "access-control-allow-origin", "*");
        set_header(headers, "x-request-id", request_uuid(ctx.seq));
    }
}
