//! OpenAI (`https://api.openai.com/v1`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::body;
use crate::models::created_unix;
use crate::openai_compat::{self, error_json, model_list, model_object, ChatRequest, ChatStyle};
use crate::provider::{
    bearer, finish, go_duration, mask_key, opaque_id, reason, set_header, status, ApiError, Ctx,
    Headroom, Provider,
};
use crate::state::AppState;

pub(crate) struct OpenAi;

const NO_KEY: &str = "You didn't provide an API key. You need to provide your API key in an \
Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password \
field (with blank username) if you're accessing the API from your browser and are prompted for a \
username. You can obtain an API key from https://platform.openai.com/account/api-keys.";

const BAD_JSON: &str = "We could not parse the JSON body of your request. (HINT: This likely \
means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but \
what was sent was not valid JSON. If you have trouble figuring out how to fix this, please \
contact us through our help center at help.openai.com.)";

fn bad_key(shown: &str) -> Value {
    error_json(
        &format!(
            "Incorrect API key provided: {shown}. You can find your API key at \
             https://platform.openai.com/account/api-keys."
        ),
        "invalid_request_error",
        None,
        Some("invalid_api_key"),
    )
}

fn rate_limited(retry_after_secs: u64) -> Value {
    error_json(
        &format!(
            "Rate limit reached for gpt-4o-mini in organization org-fakellm on requests per min \
             (RPM): Limit 500, Used 500, Requested 1. Please try again in {retry_after_secs}s. \
             Visit https://platform.openai.com/account/rate-limits to learn more."
        ),
        "requests",
        None,
        Some("rate_limit_exceeded"),
    )
}

/// Cloudflare-fronted gateway errors carry a numeric code and their own type.
fn gateway(code: u16, message: &str, kind: &str) -> Value {
    json!({"error": {"code": code, "message": message, "param": null, "type": kind}})
}

fn error_body(ctx: &Ctx, err: &ApiError) -> (u16, Value) {
    let invalid_url = || format!("Invalid URL ({} {})", ctx.method, ctx.path);
    match err {
        ApiError::MissingKey => (401, error_json(NO_KEY, "invalid_request_error", None, None)),
        ApiError::BadKey { presented, echo } => {
            let shown = if *echo {
                presented.clone()
            } else {
                mask_key(presented)
            };
            (401, bad_key(&shown))
        }
        ApiError::RateLimited { retry_after_secs } => (429, rate_limited(*retry_after_secs)),
        ApiError::Quota => (
            429,
            error_json(
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, read the docs: \
                 https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "insufficient_quota",
                None,
                Some("insufficient_quota"),
            ),
        ),
        ApiError::ModelNotFound(model) => (
            404,
            error_json(
                &format!("The model `{model}` does not exist or you do not have access to it."),
                "invalid_request_error",
                None,
                Some("model_not_found"),
            ),
        ),
        ApiError::BadRequest(msg) => (400, error_json(msg, "invalid_request_error", None, None)),
        ApiError::NoRoute => (
            404,
            error_json(&invalid_url(), "invalid_request_error", None, None),
        ),
        ApiError::MethodNotAllowed => (
            405,
            error_json(
                &format!("Invalid method for URL ({} {})", ctx.method, ctx.path),
                "invalid_request_error",
                None,
                None,
            ),
        ),
        ApiError::Status(code) => (*code, status_body(ctx, *code)),
    }
}

fn status_body(ctx: &Ctx, code: u16) -> Value {
    match code {
        400 => error_json(BAD_JSON, "invalid_request_error", None, None),
        401 => bad_key("sk-****"),
        403 => error_json(
            "Country, region, or territory not supported",
            "request_forbidden",
            None,
            Some("unsupported_country_region_territory"),
        ),
        404 => error_json(
            &format!("Invalid URL ({} {})", ctx.method, ctx.path),
            "invalid_request_error",
            None,
            None,
        ),
        429 => rate_limited(20),
        500 => error_json(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
            None,
        ),
        502 => gateway(502, "Bad gateway.", "cf_bad_gateway"),
        503 => error_json(
            "The engine is currently overloaded, please try again later",
            "server_error",
            None,
            None,
        ),
        504 => gateway(504, "Gateway timeout.", "cf_gateway_timeout"),
        c if c >= 500 => error_json(reason(c), "server_error", None, None),
        c => error_json(reason(c), "invalid_request_error", None, None),
    }
}

impl Provider for OpenAi {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/v1/models", get(list))
                .route("/v1/models/{*id}", get(retrieve))
                .route("/v1/chat/completions", post(chat)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response {
        let (code, value) = error_body(ctx, err);
        body::json(status(code), &value)
    }

    fn decorate(&self, ctx: &Ctx, headers: &mut HeaderMap, headroom: Headroom) {
        set_header(
            headers,
            "x-request-id",
            format!("req_{}", opaque_id(ctx.seq, 32).to_ascii_lowercase()),
        );
        set_header(headers, "openai-version", "2020-10-01");
        set_header(headers, "openai-processing-ms", "23");
        set_header(headers, "x-ratelimit-limit-requests", "10000");
        set_header(headers, "x-ratelimit-limit-tokens", "30000000");
        let (requests, tokens, reset_requests, reset_tokens) = if headroom.exhausted {
            let reset = go_duration(headroom.reset_secs);
            ("0", "0", reset.clone(), reset)
        } else {
            ("9999", "29999950", "6ms".to_owned(), "0s".to_owned())
        };
        set_header(headers, "x-ratelimit-remaining-requests", requests);
        set_header(headers, "x-ratelimit-remaining-tokens", tokens);
        set_header(headers, "x-ratelimit-reset-requests", reset_requests);
        set_header(headers, "x-ratelimit-reset-tokens", reset_tokens);
    }
}

fn model_json(id: &str) -> Value {
    model_object(id, created_unix(id), "system")
}

async fn list(State(app): State<Arc<AppState>>) -> Response {
    let data = app.models().iter().map(|id| model_json(id)).collect();
    body::json(StatusCode::OK, &model_list(data))
}

async fn retrieve(State(app): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    match app.find_model(|m| m == id) {
        Some(found) => body::json(StatusCode::OK, &model_json(&found)),
        None => OpenAi.error(&ctx, &ApiError::ModelNotFound(id)),
    }
}

async fn chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let req = match ChatRequest::parse(&body) {
        Ok(req) => req,
        Err(ApiError::BadRequest(msg)) if msg.starts_with("invalid JSON") => {
            return OpenAi.error(&ctx, &ApiError::BadRequest(BAD_JSON.to_owned()))
        }
        Err(err) => return OpenAi.error(&ctx, &err),
    };
    let Some(model) = req.model.clone() else {
        return OpenAi.error(
            &ctx,
            &ApiError::BadRequest("you must provide a model parameter".to_owned()),
        );
    };
    if app.find_model(|m| m == model).is_none() {
        return OpenAi.error(&ctx, &ApiError::ModelNotFound(model));
    }
    let style = ChatStyle {
        id: format!("chatcmpl-{}", opaque_id(ctx.seq, 29)),
        model,
        system_fingerprint: Some("fp_560af6e559".to_owned()),
        azure_filters: false,
        extra: None,
    };
    openai_compat::chat(&req, &style)
}
