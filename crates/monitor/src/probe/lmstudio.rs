//! LM Studio: the newest model API that answers tells which models are loaded; a canary runs only
//! on a loaded model, because a request naming an unloaded one loads it (JIT) and evicts another.

use super::classify::{http_failure, Failure};
use super::http::Reply;
use super::ollama::pick_loaded;
use super::openai::{chat_canary, model_ids, TokenField};
use super::wire::{self, Num, Obj, Objects, Present, Text};
use super::{require_listed, Ctx, Success};
use crate::domain::{Details, LoadedModel, ProbeLevel};
use chrono::Utc;

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
        degraded: None,
    };
    if ctx.level() == ProbeLevel::Inference {
        let pick = match &loaded {
            Some(loaded) => pick_loaded(ctx, loaded),
            None => Err("this LM Studio does not say which models are loaded (older than 0.3.6), and a probe must not load one".to_string()),
        };
        match pick {
            Ok(model) => {
                chat_canary(ctx, "v1/chat/completions", &model, TokenField::MaxTokens)
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
    if let Some(answer) = answered::<V1>(ctx, &v1)? {
        if let Some(parsed) = parse_v1(answer) {
            return Ok((v1.status, parsed.0, Some(parsed.1)));
        }
    }
    let v0 = ctx.http.send(ctx.get("api/v0/models")).await?;
    if let Some(answer) = answered::<V0>(ctx, &v0)? {
        if let Some(parsed) = parse_v0(answer) {
            return Ok((v0.status, parsed.0, Some(parsed.1)));
        }
    }
    let openai = ctx.http.send_ok(ctx.kind(), ctx.get("v1/models")).await?;
    let models = model_ids(&openai.body)
        .map_err(|message| Failure {
            http_status: Some(openai.status),
            ..Failure::bad_response(message)
        })?
        .ok_or_else(|| Failure::bad_response("/v1/models has no `data` array"))?;
    Ok((openai.status, models, None))
}

/// What a model endpoint answered, if this server has it: None when it does not (404, or LM
/// Studio's 200 `{"error": "Unexpected endpoint ..."}`), a failure for real errors.
fn answered<T: Answer>(ctx: &Ctx<'_>, reply: &Reply) -> Result<Option<T>, Failure> {
    match reply.status {
        200..=299 => {
            let answer: T = wire::parse(reply)?;
            Ok((!answer.is_error()).then_some(answer))
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

trait Answer: serde::de::DeserializeOwned + Default {
    fn is_error(&self) -> bool;
}

/// `/api/v1/models` (LM Studio 0.3.6+ REST API).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct V1 {
    error: Present,
    models: Objects<V1Model>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct V1Model {
    key: Text,
    size_bytes: Num,
    loaded_instances: Objects<V1Instance>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct V1Instance {
    id: Text,
    config: Obj<V1Config>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct V1Config {
    context_length: Num,
}

impl Answer for V1 {
    fn is_error(&self) -> bool {
        self.error.0
    }
}

/// `/api/v0/models` (the beta REST API).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct V0 {
    error: Present,
    data: Objects<V0Model>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct V0Model {
    id: Text,
    state: Text,
    max_context_length: Num,
}

impl Answer for V0 {
    fn is_error(&self) -> bool {
        self.error.0
    }
}

/// `/api/v1/models`: `models[].key` with `loaded_instances[].id`.
pub(crate) fn parse_v1(answer: V1) -> Option<(Vec<String>, Vec<LoadedModel>)> {
    let mut models = Vec::new();
    let mut loaded = Vec::new();
    for m in answer.models.items()? {
        let Some(key) = m.key.0 else {
            continue;
        };
        for inst in m.loaded_instances.items().into_iter().flatten() {
            loaded.push(LoadedModel {
                name: inst.id.0.unwrap_or_else(|| key.clone()),
                size_bytes: m.size_bytes.0,
                context_length: inst.config.0.and_then(|c| c.context_length.0),
                ..LoadedModel::default()
            });
        }
        models.push(key);
    }
    Some((models, loaded))
}

/// `/api/v0/models`: `data[].id` with `state`.
pub(crate) fn parse_v0(answer: V0) -> Option<(Vec<String>, Vec<LoadedModel>)> {
    let mut models = Vec::new();
    let mut loaded = Vec::new();
    for m in answer.data.items()? {
        let Some(id) = m.id.0 else {
            continue;
        };
        if m.state.0.as_deref() == Some("loaded") {
            loaded.push(LoadedModel {
                name: id.clone(),
                context_length: m.max_context_length.0,
                ..LoadedModel::default()
            });
        }
        models.push(id);
    }
    Some((models, loaded))
}
