//! Ollama: liveness from `/api/version`, inventory from `/api/tags`, the loaded set from
//! `/api/ps`; a canary only against a model already loaded, with no runner options and no
//! `keep_alive` (either would reload or unload it).

use super::classify::Failure;
use super::http::Line;
use super::wire::{self, Num, Objects, Text};
use super::{require_listed, same_model, Ctx, Success};
use crate::domain::{Class, Details, LoadedModel, ProbeLevel, TokenUse};
use serde_json::{json, Value};

/// A canary whose `load_duration` exceeds this caused a load: the model was unloaded between the
/// `/api/ps` read and the canary, or it was loaded with custom runner options (e.g. `num_ctx`)
/// that a request without them replaces. Either way the probe disturbed the server.
const COLD_LOAD_NS: u64 = 1_000_000_000;

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let version = ctx.http.send_ok(ctx.kind(), ctx.get("api/version")).await?;
    let server_version = server_version(wire::parse(&version)?).ok_or_else(|| {
        Failure::bad_response("no `version` in /api/version: not an Ollama server?")
    })?;

    let tags = ctx.http.send_ok(ctx.kind(), ctx.get("api/tags")).await?;
    let models = names(wire::parse(&tags)?)
        .ok_or_else(|| Failure::bad_response("/api/tags has no `models` list"))?;
    let ps = ctx.http.send_ok(ctx.kind(), ctx.get("api/ps")).await?;
    let loaded = loaded_models(wire::parse(&ps)?)
        .ok_or_else(|| Failure::bad_response("/api/ps has no `models` list"))?;
    require_listed(ctx.target, &models)?;

    let mut success = Success {
        http_status: Some(ps.status),
        details: Details {
            server_version: Some(server_version),
            models,
            loaded_models: loaded,
            ..Details::default()
        },
        note: None,
        degraded: None,
    };
    if ctx.level() == ProbeLevel::Inference {
        forget_unloaded(ctx, &success.details.loaded_models);
        match pick_loaded(ctx, &success.details.loaded_models).and_then(|m| not_disturbed(ctx, m)) {
            Ok(model) => generate(ctx, &model, &mut success).await?,
            Err(why) => {
                success.note = Some(format!("inference skipped: {why}"));
                success.details.skipped = Some(why);
            }
        }
    }
    Ok(success)
}

fn disturbed_key(ctx: &Ctx<'_>, model: &str) -> (String, String) {
    (ctx.target.id.clone(), model.to_string())
}

/// Once a canary has caused a load of a model, canaries for it wait until the server unloads it:
/// whatever made it reload (custom options the user chose) would make it reload every time.
fn not_disturbed(ctx: &Ctx<'_>, model: String) -> Result<String, String> {
    let disturbed = match ctx.disturbed.lock() {
        Ok(d) => d,
        Err(p) => p.into_inner(),
    };
    if disturbed.contains(&disturbed_key(ctx, &model)) {
        Err(format!(
            "a canary made Ollama reload {model:?} (loaded with custom options?); canaries for it are paused until it is unloaded"
        ))
    } else {
        Ok(model)
    }
}

fn forget_unloaded(ctx: &Ctx<'_>, loaded: &[LoadedModel]) {
    let mut disturbed = match ctx.disturbed.lock() {
        Ok(d) => d,
        Err(p) => p.into_inner(),
    };
    disturbed.retain(|(target, model)| {
        target != &ctx.target.id || loaded.iter().any(|m| &m.name == model)
    });
}

/// The model a canary may use: the configured one if it is loaded, else (none configured) the
/// first loaded one. Never an unloaded model: generating would load it.
pub(crate) fn pick_loaded(ctx: &Ctx<'_>, loaded: &[LoadedModel]) -> Result<String, String> {
    match &ctx.target.model {
        Some(want) => loaded
            .iter()
            .find(|m| same_model(want, &m.name))
            .map(|m| m.name.clone())
            .ok_or_else(|| format!("model {want:?} is not loaded, and a probe must not load it")),
        None => loaded
            .first()
            .map(|m| m.name.clone())
            .ok_or_else(|| "no model is loaded, and a probe must not load one".to_string()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct Version {
    version: Text,
}

/// `/api/version`: `{"version": "0.5.1"}`.
pub(crate) fn server_version(v: Version) -> Option<String> {
    v.version.0
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct Tags {
    models: Objects<Tag>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Tag {
    name: Text,
}

/// `/api/tags`: the installed models' names.
pub(crate) fn names(tags: Tags) -> Option<Vec<String>> {
    Some(
        tags.models
            .items()?
            .into_iter()
            .filter_map(|m| m.name.0)
            .collect(),
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct Ps {
    models: Objects<Running>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Running {
    name: Text,
    model: Text,
    size: Num,
    size_vram: Num,
    expires_at: Text,
    context_length: Num,
}

/// `/api/ps`: the models in memory.
pub(crate) fn loaded_models(ps: Ps) -> Option<Vec<LoadedModel>> {
    Some(
        ps.models
            .items()?
            .into_iter()
            .filter_map(|m| {
                let name = m.name.0.or(m.model.0)?;
                let (size, vram) = (m.size.0, m.size_vram.0);
                Some(LoadedModel {
                    name,
                    size_bytes: size,
                    vram_bytes: vram,
                    vram_share: match (vram, size) {
                        (Some(v), Some(s)) if s > 0 => Some((v as f64 / s as f64).min(1.0)),
                        _ => None,
                    },
                    // Only a real timestamp: the field is shown as a time, and anything else in
                    // it is the server saying something we cannot vouch for.
                    expires_at: m
                        .expires_at
                        .0
                        .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
                    context_length: m.context_length.0,
                })
            })
            .collect(),
    )
}

async fn generate(ctx: &Ctx<'_>, model: &str, success: &mut Success) -> Result<(), Failure> {
    // Only `num_predict`: runner options (num_ctx, num_gpu, …) would reload the model, and any
    // `keep_alive` would change how long it stays.
    let body = json!({
        "model": model,
        "prompt": "Reply with OK.",
        "stream": true,
        "options": {"num_predict": 1},
    });
    let mut last = Value::Null;
    let streamed = ctx
        .http
        .stream_lines(ctx.kind(), ctx.post_json("api/generate", &body), |line| {
            stream_line(line, &mut last)
        })
        .await?;
    if !streamed.completed {
        return Err(Failure {
            http_status: Some(streamed.status),
            ..Failure::bad_response("generation stream ended without `done`")
        });
    }
    let n = |k: &str| last.get(k).and_then(Value::as_u64);
    let d = &mut success.details;
    success.http_status = Some(streamed.status);
    d.probed_model = Some(model.to_string());
    // With one token the first token may arrive in the final `done` line.
    d.ttft_ms = streamed
        .ttft
        .map(|t| t.as_millis() as u64)
        .or_else(|| n("total_duration").map(|ns| ns / 1_000_000));
    d.tokens = Some(TokenUse {
        input: n("prompt_eval_count").unwrap_or(0),
        output: n("eval_count").unwrap_or(0),
    });
    d.tokens_per_second = match (n("eval_count"), n("eval_duration")) {
        (Some(count), Some(ns)) if ns > 0 => Some(count as f64 / ns as f64 * 1e9),
        _ => None,
    };
    if let Some(load) = n("load_duration").filter(|&ns| ns > COLD_LOAD_NS) {
        success.note = Some(format!(
            "this canary made Ollama load {model:?} ({:.1} s); canaries for it pause until it is unloaded",
            load as f64 / 1e9
        ));
        let mut disturbed = match ctx.disturbed.lock() {
            Ok(d) => d,
            Err(p) => p.into_inner(),
        };
        disturbed.insert(disturbed_key(ctx, model));
    }
    Ok(())
}

/// One NDJSON line of `/api/generate`; the final (`done`) line is kept in `last` for its timings.
pub(crate) fn stream_line(line: &str, last: &mut Value) -> Result<Line, Failure> {
    let chunk: Value = serde_json::from_str(line)
        .map_err(|e| Failure::bad_response(format!("stream line is not JSON ({e})")))?;
    if let Some(err) = chunk.get("error").and_then(Value::as_str) {
        return Err(Failure::new(
            Class::ServerError,
            format!("generation failed: {err}"),
        ));
    }
    let token = chunk
        .get("response")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let done = chunk.get("done").and_then(Value::as_bool).unwrap_or(false);
    if done {
        *last = chunk;
        return Ok(Line::Done);
    }
    Ok(if token { Line::Token } else { Line::Nothing })
}
