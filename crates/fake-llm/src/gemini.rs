//! Google Gemini API (`https://generativelanguage.googleapis.com`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::body;
use crate::gen::{self, Completion, TOKEN_GAP};
use crate::models::display_name;
use crate::provider::{
    finish, header_key, opaque_id, parse_body, query_param, reason, set_header, status, ApiError,
    Ctx, Provider,
};
use crate::state::AppState;

pub(crate) struct Gemini;

const JSON_UTF8: &str = "application/json; charset=UTF-8";

const UNREGISTERED: &str = "Method doesn't allow unregistered callers (callers without \
established identity). Please use API Key or other form of API consumer identity to call this API.";

const QUOTA: &str = "You exceeded your current quota, please check your plan and billing details. \
For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";

fn bad_key(message: &str) -> Value {
    json!({"error": {
        "code": 400,
        "message": message,
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            },
        ],
    }})
}

/// A 429 naming the exhausted quota; per-minute quotas also say when to retry.
fn exhausted(quota_id: &str, retry_after_secs: Option<u64>) -> Value {
    let mut details = vec![
        json!({
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                "quotaValue": "10",
            }],
        }),
        json!({
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Learn more about Gemini API quotas",
                       "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}],
        }),
    ];
    if let Some(secs) = retry_after_secs {
        details.push(json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{secs}s")}));
    }
    json!({"error": {"code": 429, "message": QUOTA, "status": "RESOURCE_EXHAUSTED", "details": details}})
}

fn plain(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

fn error_body(err: &ApiError) -> (u16, Value) {
    match err {
        // Google answers a missing key with 403 and a wrong one with 400.
        ApiError::MissingKey => (403, plain(403, "PERMISSION_DENIED", UNREGISTERED)),
        ApiError::BadKey {
            presented,
            echo: true,
        } => (
            400,
            bad_key(&format!(
                "API key not valid: {presented}. Please pass a valid API key."
            )),
        ),
        ApiError::BadKey { .. } => (
            400,
            bad_key("API key not valid. Please pass a valid API key."),
        ),
        ApiError::RateLimited { retry_after_secs } => (
            429,
            exhausted(
                "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                Some(*retry_after_secs),
            ),
        ),
        ApiError::Quota => (
            429,
            exhausted("GenerateRequestsPerDayPerProjectPerModel-FreeTier", None),
        ),
        ApiError::ModelNotFound(model) => (
            404,
            plain(
                404,
                "NOT_FOUND",
                &format!(
                    "models/{model} is not found for API version v1beta, or is not supported for \
                     generateContent. Call ListModels to see the list of available models and \
                     their supported methods."
                ),
            ),
        ),
        ApiError::BadRequest(msg) => (400, plain(400, "INVALID_ARGUMENT", msg)),
        ApiError::NoRoute | ApiError::MethodNotAllowed => (404, Value::Null),
        ApiError::Status(code) => {
            let v = match code {
                400 => bad_key("API key not valid. Please pass a valid API key."),
                401 => plain(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."),
                403 => plain(403, "PERMISSION_DENIED", "The caller does not have permission"),
                404 => plain(404, "NOT_FOUND", "Requested entity was not found."),
                429 => plain(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
                500 => plain(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
                503 => plain(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
                504 => plain(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
                c => plain(*c, if *c >= 500 { "UNKNOWN" } else { "FAILED_PRECONDITION" }, reason(*c)),
            };
            (*code, v)
        }
    }
}

/// Google's front end, not the API, answers unknown paths: with HTML.
fn html_not_found(path: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  \
         <p><b>404.</b> <ins>That\u{2019}s an error.</ins>\n  <p>The requested URL <code>{path}</code> was not \
         found on this server.  <ins>That\u{2019}s all we know.</ins>\n"
    );
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/html; charset=UTF-8")],
        page,
    )
        .into_response()
}

impl Provider for Gemini {
    fn routes(&self) -> Router<Arc<AppState>> {
        let mut router = Router::new();
        for version in ["/v1beta", "/v1"] {
            router = router.route(&format!("{version}/models"), get(list)).route(
                &format!("{version}/models/{{*rest}}"),
                get(retrieve).post(action),
            );
        }
        finish(router)
    }

    /// The header is preferred; `?key=` is what ends up in logs and errors.
    fn presented_key(&self, parts: &Parts) -> Option<String> {
        header_key(parts, "x-goog-api-key")
            .or_else(|| query_param(parts.uri.query(), "key").filter(|k| !k.is_empty()))
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response {
        if matches!(err, ApiError::NoRoute | ApiError::MethodNotAllowed) {
            return html_not_found(&ctx.path);
        }
        let (code, value) = error_body(err);
        body::json_typed(status(code), JSON_UTF8, &value)
    }

    fn decorate(
        &self,
        _ctx: &Ctx,
        headers: &mut axum::http::HeaderMap,
        _: crate::provider::Headroom,
    ) {
        set_header(headers, "server", "scaffolding on HTTPServer2");
        set_header(headers, "vary", "Origin, X-Origin, Referer");
    }
}

fn model_json(name: &str) -> Value {
    let pro = name.contains("pro");
    json!({
        "name": name,
        "version": "001",
        "displayName": display_name(name),
        "description": format!("{}: a fake of Google's model for tests.", display_name(name)),
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": pro || name.contains("2.5"),
    })
}

async fn list(State(app): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let names = app.models();
    let size = ctx
        .query_param("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(50)
        .min(1000);
    // Page tokens are opaque to clients; an offset is all the fake needs.
    let start = ctx
        .query_param("pageToken")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0)
        .min(names.len());
    let end = (start + size).min(names.len());
    let mut reply =
        json!({"models": names[start..end].iter().map(|n| model_json(n)).collect::<Vec<_>>()});
    if end < names.len() {
        reply["nextPageToken"] = json!(end.to_string());
    }
    body::json_typed(StatusCode::OK, JSON_UTF8, &reply)
}

fn installed(app: &AppState, model: &str) -> Option<String> {
    let wanted = format!("models/{model}");
    app.find_model(|m| m == wanted)
}

async fn retrieve(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Path(rest): Path<String>,
) -> Response {
    if rest.contains(':') {
        return Gemini.error(&ctx, &ApiError::NoRoute);
    }
    match installed(&app, &rest) {
        Some(name) => body::json_typed(StatusCode::OK, JSON_UTF8, &model_json(&name)),
        None => Gemini.error(&ctx, &ApiError::ModelNotFound(rest)),
    }
}

/// `models/{model}:{method}`: generateContent, streamGenerateContent, countTokens.
async fn action(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Path(rest): Path<String>,
    body: Bytes,
) -> Response {
    let fail = |err: ApiError| Gemini.error(&ctx, &err);
    let Some((model, method)) = rest.split_once(':') else {
        return fail(ApiError::NoRoute);
    };
    if !matches!(
        method,
        "generateContent" | "streamGenerateContent" | "countTokens"
    ) {
        return fail(ApiError::NoRoute);
    }
    let req = match parse_body(&body) {
        Ok(v) => v,
        Err(err) => return fail(err),
    };
    if installed(&app, model).is_none() {
        return fail(ApiError::ModelNotFound(model.to_owned()));
    }
    let Some(contents) = req.get("contents").and_then(Value::as_array) else {
        return fail(ApiError::BadRequest(
            "* GenerateContentRequest.contents: contents is not specified\n".to_owned(),
        ));
    };
    let chars: usize = contents
        .iter()
        .map(|c| gen::content_chars(c.get("parts")))
        .sum();
    let max = req
        .pointer("/generationConfig/maxOutputTokens")
        .and_then(Value::as_i64);
    let completion = Completion::new(chars, max);
    if method == "countTokens" {
        return body::json_typed(
            StatusCode::OK,
            JSON_UTF8,
            &json!({"totalTokens": completion.prompt_tokens}),
        );
    }

    let response_id = opaque_id(ctx.seq, 22);
    let finish = if completion.truncated {
        "MAX_TOKENS"
    } else {
        "STOP"
    };
    let reply = |text: &str, last: bool| {
        let mut candidate =
            json!({"content": {"parts": [{"text": text}], "role": "model"}, "index": 0});
        let mut usage = json!({
            "promptTokenCount": completion.prompt_tokens,
            "totalTokenCount": completion.prompt_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": completion.prompt_tokens}],
        });
        if last {
            candidate["finishReason"] = json!(finish);
            usage["candidatesTokenCount"] = json!(completion.completion_tokens());
            usage["totalTokenCount"] = json!(completion.total_tokens());
        }
        json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": response_id})
    };

    if method == "generateContent" {
        return body::json_typed(StatusCode::OK, JSON_UTF8, &reply(&completion.text(), true));
    }
    let n = completion.pieces.len();
    let chunks: Vec<Value> = completion
        .pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| reply(piece, i + 1 == n))
        .collect();
    if ctx.query_param("alt").as_deref() == Some("sse") {
        // Google separates events with CRLF pairs, which trips naive parsers.
        let events = chunks
            .iter()
            .map(|c| format!("data: {c}\r\n\r\n"))
            .collect();
        return body::paced(events, TOKEN_GAP, "text/event-stream");
    }
    // Without alt=sse the stream is one JSON array, delivered piece by piece.
    let mut parts: Vec<String> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{}{c}", if i == 0 { "[" } else { ",\r\n" }))
        .collect();
    parts.push("]".to_owned());
    body::paced(parts, TOKEN_GAP, JSON_UTF8)
}
