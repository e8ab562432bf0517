//! llama.cpp's `llama-server`: liveness from `/health`, which answers 503 "Loading model" while
//! the server loads its one model (degraded `loading`, not down); the model from `/v1/models`,
//! or `/props` on builds without it; a canary on that model. The server loads its model at
//! start and never on a request, so a canary cannot make it load anything.

use super::classify::{self, Failure};
use super::openai::{canary_on_served, model_ids};
use super::wire::{self, Text};
use super::{require_listed, Ctx, Success};
use crate::domain::{Class, Details};
use chrono::Utc;

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let health = ctx.http.send(ctx.get("health")).await?;
    if health.status == 503 && is_loading(&health.body) {
        return Ok(Success {
            http_status: Some(health.status),
            degraded: Some((Class::Loading, "loading model".into())),
            ..Success::default()
        });
    }
    if !(200..300).contains(&health.status) {
        return Err(classify::http_failure(
            ctx.kind(),
            health.status,
            &health.headers,
            &health.body,
            Utc::now(),
        ));
    }
    let (status, models) = served_models(ctx).await?;
    require_listed(ctx.target, &models)?;
    let mut success = Success {
        http_status: Some(status),
        details: Details {
            models,
            ..Details::default()
        },
        ..Success::default()
    };
    // Whatever model a request names, llama-server answers with the one it has loaded.
    canary_on_served(ctx, &mut success).await?;
    Ok(success)
}

/// llama.cpp's answer while loading: `{"error":{"code":503,"message":"Loading model",…}}`
/// (its `/health`, `/props` and the rest alike; detection reads it too).
pub(crate) fn is_loading(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .as_ref()
        .and_then(classify::error_message)
        .is_some_and(|m| m.to_ascii_lowercase().contains("loading model"))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Props {
    model_alias: Text,
    model_path: Text,
}

/// The model the server has loaded: `/v1/models`, else `/props` (older builds, or the list
/// switched off), whose `model_alias` or the file name of `model_path` names it.
async fn served_models(ctx: &Ctx<'_>) -> Result<(u16, Vec<String>), Failure> {
    let listed = ctx.http.send(ctx.get("v1/models")).await?;
    if (200..300).contains(&listed.status) {
        if let Ok(Some(models)) = model_ids(&listed.body) {
            return Ok((listed.status, models));
        }
    }
    let props = ctx.http.send_ok(ctx.kind(), ctx.get("props")).await?;
    let parsed: Props = wire::parse(&props)?;
    let name = parsed.model_alias.0.or_else(|| {
        parsed.model_path.0.map(|path| {
            let file = path.rsplit(['/', '\\']).next().unwrap_or(&path);
            file.strip_suffix(".gguf").unwrap_or(file).to_string()
        })
    });
    match name {
        Some(name) => Ok((props.status, vec![name])),
        None => Err(Failure {
            http_status: Some(props.status),
            ..Failure::bad_response(
                "/props names no model (no `model_alias` or `model_path`): not a llama.cpp server?",
            )
        }),
    }
}
