//! Anthropic (`https://api.anthropic.com`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::body;
use crate::gen::{self, Completion, TOKEN_GAP};
use crate::models::{created_unix, display_name};
use crate::provider::{
    check_key, finish, header_key, opaque_id, parse_body, reason, set_header, status, ApiError,
    Ctx, Headroom, Provider,
};
use crate::state::AppState;

pub(crate) struct Anthropic;

const VERSIONS: [&str; 2] = ["2023-06-01", "2023-01-01"];

fn request_id(ctx: &Ctx) -> String {
    format!("req_011C{}", opaque_id(ctx.seq, 20))
}

fn error_body(err: &ApiError) -> (u16, &'static str, String) {
    match err {
        ApiError::MissingKey => (
            401,
            "authentication_error",
            "x-api-key header is required".into(),
        ),
        ApiError::BadKey {
            presented,
            echo: true,
        } => (
            401,
            "authentication_error",
            format!("invalid x-api-key: {presented}"),
        ),
        ApiError::BadKey { .. } => (401, "authentication_error", "invalid x-api-key".into()),
        ApiError::RateLimited { .. } => (429, "rate_limit_error", RATE_LIMITED.into()),
        ApiError::Quota => (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & \
             Billing to upgrade or purchase credits."
                .into(),
        ),
        ApiError::ModelNotFound(model) => (404, "not_found_error", format!("model: {model}")),
        ApiError::BadRequest(msg) => (400, "invalid_request_error", msg.clone()),
        ApiError::NoRoute | ApiError::MethodNotAllowed => {
            (404, "not_found_error", "Not Found".into())
        }
        ApiError::Status(code) => {
            let (kind, msg) = match code {
                400 => (
                    "invalid_request_error",
                    "There was an issue with the format or content of your request.",
                ),
                401 => ("authentication_error", "invalid x-api-key"),
                402 => (
                    "billing_error",
                    "There is an issue with your account's billing.",
                ),
                403 => (
                    "permission_error",
                    "Your API key does not have permission to use the specified resource.",
                ),
                404 => ("not_found_error", "Not Found"),
                413 => (
                    "request_too_large",
                    "Request exceeds the maximum allowed number of bytes.",
                ),
                429 => ("rate_limit_error", RATE_LIMITED),
                500 => ("api_error", "Internal server error"),
                504 => ("timeout_error", "Request timed out"),
                529 => ("overloaded_error", "Overloaded"),
                c if *c >= 500 => ("api_error", reason(*c)),
                c => ("invalid_request_error", reason(*c)),
            };
            (*code, kind, msg.into())
        }
    }
}

const RATE_LIMITED: &str = "This request would exceed the rate limit for your organization \
(fake-llm) of 50 requests per minute. For details, refer to: \
https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. \
Please reduce the prompt length or the maximum tokens requested, or try again later. You may also \
contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit \
increase.";

fn error_event(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

impl Provider for Anthropic {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/v1/models", get(list))
                .route("/v1/models/{*id}", get(retrieve))
                .route("/v1/messages", post(messages)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        header_key(parts, "x-api-key")
    }

    fn check(&self, parts: &Parts, expected: Option<&str>) -> Result<(), ApiError> {
        check_key(self.presented_key(parts), expected)?;
        match parts
            .headers
            .get("anthropic-version")
            .map(|v| v.to_str().unwrap_or(""))
        {
            None => Err(ApiError::BadRequest(
                "anthropic-version: header is required".into(),
            )),
            Some(v) if VERSIONS.contains(&v) => Ok(()),
            Some(v) => Err(ApiError::BadRequest(format!(
                "anthropic-version: \"{v}\" is not a valid version"
            ))),
        }
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response {
        let (code, kind, message) = error_body(err);
        let mut value = error_event(kind, &message);
        value["request_id"] = json!(request_id(ctx));
        body::json(status(code), &value)
    }

    fn decorate(&self, ctx: &Ctx, headers: &mut HeaderMap, headroom: Headroom) {
        set_header(headers, "request-id", request_id(ctx));
        set_header(
            headers,
            "anthropic-organization-id",
            "5f0b6e1c-2d3a-4c8e-9f10-fa4e11a1e0c1",
        );
        let reset_in = if headroom.exhausted {
            headroom.reset_secs
        } else {
            1
        };
        let reset = i64::try_from(reset_in)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .and_then(|d| Utc::now().checked_add_signed(d))
            .unwrap_or_else(Utc::now)
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let limits = [
            ("requests", 4_000u64),
            ("tokens", 2_400_000),
            ("input-tokens", 2_000_000),
            ("output-tokens", 400_000),
        ];
        for (kind, limit) in limits {
            let remaining = if headroom.exhausted { 0 } else { limit - 1 };
            set_header(
                headers,
                &format!("anthropic-ratelimit-{kind}-limit"),
                limit.to_string(),
            );
            set_header(
                headers,
                &format!("anthropic-ratelimit-{kind}-remaining"),
                remaining.to_string(),
            );
            set_header(
                headers,
                &format!("anthropic-ratelimit-{kind}-reset"),
                &reset,
            );
        }
    }

    /// Overloads surface mid-stream on a 200, after `message_start`.
    fn stream_error(&self, ctx: &Ctx, body: &[u8]) -> Option<Response> {
        if ctx.method != "POST" || ctx.path != "/v1/messages" {
            return None;
        }
        let model = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("model").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "claude-sonnet-4-5".to_owned());
        let start = message_start(ctx, &model, 8);
        let events = vec![
            body::sse_event("message_start", &start),
            body::sse_event("error", &error_event("overloaded_error", "Overloaded")),
        ];
        Some(body::paced(events, Duration::from_millis(20), body::SSE))
    }
}

fn model_json(id: &str) -> Value {
    let created = DateTime::from_timestamp(created_unix(id), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    json!({"type": "model", "id": id, "display_name": display_name(id), "created_at": created})
}

async fn list(State(app): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let ids = app.models();
    let limit = ctx
        .query_param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 1000);
    let (after_id, before_id) = (ctx.query_param("after_id"), ctx.query_param("before_id"));
    let pos = |id: &Option<String>| id.as_ref().and_then(|id| ids.iter().position(|m| m == id));
    let start = pos(&after_id).map_or(0, |p| p + 1);
    let end = pos(&before_id).unwrap_or(ids.len()).max(start);
    // before_id pages backwards: the `limit` models just before it.
    let (from, to) = if before_id.is_some() {
        (end.saturating_sub(limit).max(start), end)
    } else {
        (start, (start + limit).min(end))
    };
    let has_more = if before_id.is_some() {
        from > 0
    } else {
        to < ids.len()
    };
    let data: Vec<Value> = ids[from..to].iter().map(|id| model_json(id)).collect();
    body::json(
        StatusCode::OK,
        &json!({
            "data": data,
            "has_more": has_more,
            "first_id": ids[from..to].first(),
            "last_id": ids[from..to].last(),
        }),
    )
}

async fn retrieve(State(app): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    match app.find_model(|m| m == id) {
        Some(found) => body::json(StatusCode::OK, &model_json(&found)),
        None => Anthropic.error(&ctx, &ApiError::ModelNotFound(id)),
    }
}

fn usage(input: u64, output: u64) -> Value {
    json!({
        "input_tokens": input,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output,
        "service_tier": "standard",
    })
}

fn message_start(ctx: &Ctx, model: &str, input_tokens: u64) -> Value {
    json!({"type": "message_start", "message": {
        "id": format!("msg_01{}", opaque_id(ctx.seq, 22)),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": null,
        "stop_sequence": null,
        "usage": usage(input_tokens, 1),
    }})
}

async fn messages(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let fail = |err: ApiError| Anthropic.error(&ctx, &err);
    let req = match parse_body(&body) {
        Ok(v) => v,
        Err(err) => return fail(err),
    };
    for field in ["model", "max_tokens", "messages"] {
        if req.get(field).is_none() {
            return fail(ApiError::BadRequest(format!("{field}: Field required")));
        }
    }
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if app.find_model(|m| m == model).is_none() {
        return fail(ApiError::ModelNotFound(model));
    }
    let prompt_chars =
        gen::messages_chars(req.get("messages")) + gen::content_chars(req.get("system"));
    let completion = Completion::new(prompt_chars, gen::int_field(&req, "max_tokens"));
    let stop_reason = if completion.truncated {
        "max_tokens"
    } else {
        "end_turn"
    };

    if req.get("stream").and_then(Value::as_bool).unwrap_or(false) {
        let mut events = vec![
            body::sse_event(
                "message_start",
                &message_start(&ctx, &model, completion.prompt_tokens),
            ),
            body::sse_event(
                "content_block_start",
                &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            body::sse_event("ping", &json!({"type": "ping"})),
        ];
        events.extend(completion.pieces.iter().map(|piece| {
            body::sse_event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}),
            )
        }));
        events.push(body::sse_event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 0}),
        ));
        events.push(body::sse_event(
            "message_delta",
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                    "usage": {"output_tokens": completion.completion_tokens()}}),
        ));
        events.push(body::sse_event(
            "message_stop",
            &json!({"type": "message_stop"}),
        ));
        return body::paced(events, TOKEN_GAP, body::SSE);
    }

    let mut message = message_start(&ctx, &model, completion.prompt_tokens)["message"].take();
    message["content"] = json!([{"type": "text", "text": completion.text()}]);
    message["stop_reason"] = json!(stop_reason);
    message["usage"] = usage(completion.prompt_tokens, completion.completion_tokens());
    body::json(StatusCode::OK, &message)
}
