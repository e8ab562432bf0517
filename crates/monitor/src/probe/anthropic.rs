//! Anthropic: the model list (zero tokens) validates key and reachability; the canary is a
//! streamed `messages` call with `max_tokens: 1`, where an error can arrive after a 200.

use super::classify::{self, Failure};
use super::http::Line;
use super::{cloud_probe, listed, Canary, Ctx, Listing, Success};
use crate::domain::TokenUse;
use chrono::Utc;
use serde_json::{json, Value};

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let reply = ctx
        .http
        .send_ok(ctx.kind(), ctx.get("v1/models?limit=1000"))
        .await?;
    let json = reply.json()?;
    let models = listed(&json, "data", "id")
        .ok_or_else(|| Failure::bad_response("model list has no `data` array"))?;
    // A partial page cannot prove a model absent.
    let complete = !json
        .get("has_more")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let listing = Listing {
        reply,
        models,
        complete,
    };
    cloud_probe(
        ctx,
        listing,
        |model| async move { canary(ctx, &model).await },
    )
    .await
}

async fn canary(ctx: &Ctx<'_>, model: &str) -> Result<Canary, Failure> {
    let body = json!({
        "model": model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "Reply with OK."}],
        "stream": true,
    });
    let mut input = 0;
    let mut output = 0;
    let streamed = ctx
        .http
        .stream_lines(ctx.kind(), ctx.post_json("v1/messages", &body), |line| {
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                return Ok(Line::Nothing);
            };
            let event: Value = serde_json::from_str(data)
                .map_err(|e| Failure::bad_response(format!("stream event is not JSON ({e})")))?;
            match event.get("type").and_then(Value::as_str) {
                Some("error") => Err(classify::stream_error(ctx.kind(), &event)),
                Some("message_start") => {
                    input = event
                        .pointer("/message/usage/input_tokens")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    Ok(Line::Nothing)
                }
                Some("content_block_delta") => Ok(Line::Token),
                Some("message_delta") => {
                    output = event
                        .pointer("/usage/output_tokens")
                        .and_then(Value::as_u64)
                        .unwrap_or(output);
                    Ok(Line::Nothing)
                }
                Some("message_stop") => Ok(Line::Done),
                _ => Ok(Line::Nothing),
            }
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
        tokens: Some(TokenUse { input, output }),
        model: model.to_string(),
        headers_rate_limit: classify::rate_limit(&streamed.headers, Utc::now()),
        ..Canary::default()
    })
}
