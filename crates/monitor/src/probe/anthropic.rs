//! Anthropic: the model list (zero tokens) validates key and reachability; the canary is a
//! streamed `messages` call with `max_tokens: 1`, where an error can arrive after a 200.

use super::classify::{self, Failure};
use super::http::Line;
use super::openai::Id;
use super::wire::{self, Flag, Objects};
use super::{cloud_probe, Canary, Ctx, Listing, Success};
use crate::domain::Kind;
use crate::domain::TokenUse;
use chrono::Utc;
use serde_json::{json, Value};

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    cloud_probe(
        ctx,
        || list(ctx),
        |model| async move { canary(ctx, &model).await },
    )
    .await
}

async fn list(ctx: &Ctx<'_>) -> Result<Listing, Failure> {
    let reply = ctx
        .http
        .send_ok(ctx.kind(), ctx.get("v1/models?limit=1000"))
        .await?;
    let (models, complete) = model_list(&reply.body).map_err(|message| Failure {
        http_status: Some(reply.status),
        ..Failure::bad_response(message)
    })?;
    Ok(Listing {
        reply,
        models,
        complete,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ModelList {
    data: Objects<Id>,
    has_more: Flag,
}

/// `{"data":[{"id"}], "has_more"}` (or a bare array): the ids, and whether the list is whole.
pub(crate) fn model_list(body: &[u8]) -> Result<(Vec<String>, bool), String> {
    let list = if wire::is_array(body) {
        ModelList {
            data: wire::parse_any(body)?,
            ..ModelList::default()
        }
    } else {
        wire::parse_bytes::<ModelList>(body)?
    };
    let models = list
        .data
        .items()
        .ok_or("model list has no `data` array")?
        .into_iter()
        .filter_map(|m| m.id.0)
        .collect();
    // A partial page cannot prove a model absent.
    Ok((models, !list.has_more.0.unwrap_or(false)))
}

async fn canary(ctx: &Ctx<'_>, model: &str) -> Result<Canary, Failure> {
    let body = json!({
        "model": model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "Reply with OK."}],
        "stream": true,
    });
    let mut usage = TokenUse::default();
    let kind = ctx.kind();
    let streamed = ctx
        .http
        .stream_lines(kind, ctx.post_json("v1/messages", &body), |line| {
            stream_line(kind, line, &mut usage)
        })
        .await?;
    if !streamed.completed {
        return Err(Failure {
            http_status: Some(streamed.status),
            ..Failure::bad_response("stream ended without message_stop")
        });
    }
    Ok(Canary {
        http_status: streamed.status,
        ttft_ms: streamed.ttft.map(|d| d.as_millis() as u64),
        tokens: Some(usage),
        model: model.to_string(),
        headers_rate_limit: classify::rate_limit(&streamed.headers, Utc::now()),
        ..Canary::default()
    })
}

/// One line of a streamed `messages` call (SSE); token counts go to `usage` as events carry
/// them.
pub(crate) fn stream_line(kind: Kind, line: &str, usage: &mut TokenUse) -> Result<Line, Failure> {
    let Some(data) = line.strip_prefix("data:").map(str::trim) else {
        return Ok(Line::Nothing);
    };
    let event: Value = serde_json::from_str(data)
        .map_err(|e| Failure::bad_response(format!("stream event is not JSON ({e})")))?;
    match event.get("type").and_then(Value::as_str) {
        Some("error") => Err(classify::stream_error(kind, &event)),
        Some("message_start") => {
            usage.input = event
                .pointer("/message/usage/input_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            Ok(Line::Nothing)
        }
        Some("content_block_delta") => Ok(Line::Token),
        Some("message_delta") => {
            usage.output = event
                .pointer("/usage/output_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(usage.output);
            Ok(Line::Nothing)
        }
        Some("message_stop") => Ok(Line::Done),
        _ => Ok(Line::Nothing),
    }
}
