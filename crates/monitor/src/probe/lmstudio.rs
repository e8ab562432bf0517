//! LM Studio: the newest model API that answers tells which models are loaded; a canary runs only
//! on a loaded model, because a request naming an unloaded one loads it (JIT) and evicts another.

use super::classify::{http_failure, Failure};
use super::http::Reply;
use super::ollama::pick_loaded;
use super::openai::{chat_canary, model_ids};
use super::{require_listed, Ctx, Success};
use crate::domain::{Details, LoadedModel, ProbeLevel};
use chrono::Utc;
use serde_json::Value;

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let (status, models, loaded) = inventory(ctx).await?;
    require_listed(ctx.target, &models)?;
    let mut success = Success {
        http_status: Some(status),
        details: Details {
            models,
            loaded_models: loaded.clone().unwrap_or_default(),
            ..Details::default()
        },
        note: None,
    };
    if ctx.level() == ProbeLevel::Inference {
        let pick = match &loaded {
            Some(loaded) => pick_loaded(ctx, loaded),
            None => Err("this LM Studio does not say which models are loaded (older than 0.3.6), and a probe must not load one".to_string()),
        };
        match pick {
            Ok(model) => {
                chat_canary(ctx, "v1/chat/completions", &model, "max_tokens")
                    .await?
                    .merge_into(&mut success);
            }
            Err(why) => {
                success.note = Some(format!("inference skipped: {why}"));
                success.details.skipped = Some(why);
            }
        }
    }
    Ok(success)
}

/// (status, all models, loaded models if the server says).
async fn inventory(ctx: &Ctx<'_>) -> Result<(u16, Vec<String>, Option<Vec<LoadedModel>>), Failure> {
    let v1 = ctx.http.send(ctx.get("api/v1/models")).await?;
    if let Some(json) = answered(ctx, &v1)? {
        if let Some(parsed) = parse_v1(&json) {
            return Ok((v1.status, parsed.0, Some(parsed.1)));
        }
    }
    let v0 = ctx.http.send(ctx.get("api/v0/models")).await?;
    if let Some(json) = answered(ctx, &v0)? {
        if let Some(parsed) = parse_v0(&json) {
            return Ok((v0.status, parsed.0, Some(parsed.1)));
        }
    }
    let openai = ctx.http.send_ok(ctx.kind(), ctx.get("v1/models")).await?;
    let models = model_ids(&openai.json()?)
        .ok_or_else(|| Failure::bad_response("/v1/models has no `data` array"))?;
    Ok((openai.status, models, None))
}

/// The JSON of a reply from an endpoint this server has; None when it does not have it (404,
/// or LM Studio's 200 `{"error": "Unexpected endpoint ..."}`), a failure for real errors.
fn answered(ctx: &Ctx<'_>, reply: &Reply) -> Result<Option<Value>, Failure> {
    match reply.status {
        200..=299 => {
            let json = reply.json()?;
            Ok((json.get("error").is_none()).then_some(json))
        }
        404 => Ok(None),
        status => Err(http_failure(
            ctx.kind(),
            status,
            &reply.headers,
            &reply.body,
            Utc::now(),
        )),
    }
}

/// `/api/v1/models`: `models[].key` with `loaded_instances[].id`.
fn parse_v1(json: &Value) -> Option<(Vec<String>, Vec<LoadedModel>)> {
    let list = json.get("models")?.as_array()?;
    let mut models = Vec::new();
    let mut loaded = Vec::new();
    for m in list {
        let Some(key) = m.get("key").and_then(Value::as_str) else {
            continue;
        };
        models.push(key.to_string());
        for inst in m
            .get("loaded_instances")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            loaded.push(LoadedModel {
                name: inst
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_string(),
                size_bytes: m.get("size_bytes").and_then(Value::as_u64),
                context_length: inst
                    .pointer("/config/context_length")
                    .and_then(Value::as_u64),
                ..LoadedModel::default()
            });
        }
    }
    Some((models, loaded))
}

/// `/api/v0/models`: `data[].id` with `state`.
fn parse_v0(json: &Value) -> Option<(Vec<String>, Vec<LoadedModel>)> {
    let list = json.get("data")?.as_array()?;
    let mut models = Vec::new();
    let mut loaded = Vec::new();
    for m in list {
        let Some(id) = m.get("id").and_then(Value::as_str) else {
            continue;
        };
        models.push(id.to_string());
        if m.get("state").and_then(Value::as_str) == Some("loaded") {
            loaded.push(LoadedModel {
                name: id.to_string(),
                context_length: m.get("max_context_length").and_then(Value::as_u64),
                ..LoadedModel::default()
            });
        }
    }
    Some((models, loaded))
}
