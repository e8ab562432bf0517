//! The HTTP API as an OpenAPI 3.1 document, generated from the command list and the same Rust
//! types the TypeScript comes from (utoipa's schemas). `serve` answers it at
//! `GET /api/openapi.json`.

use crate::command::{Access, CommandName};
use serde_json::{json, Map, Value};

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas: Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )> = Vec::new();
    for name in CommandName::all() {
        let spec = name.spec();
        (spec.schemas)(&mut schemas);
        let mut description = spec.doc.trim().replace('\n', " ");
        if let Some(needs) = spec.needs {
            description.push_str(&format!(
                " Only in the desktop app ({}); `serve` answers 404.",
                serde_json::to_value(needs)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ));
        }
        let reply = json!({
            "description": "The command's result as JSON (`null` for none).",
            "content": { "application/json": { "schema": (spec.reply_schema)() } },
        });
        let mut post = json!({
            "operationId": name.as_str(),
            "summary": description,
            "requestBody": {
                "description": "The command's arguments (camelCase keys); no body is no arguments.",
                "required": false,
                "content": { "application/json": { "schema": (spec.args_schema)() } },
            },
            "responses": responses(reply.clone()),
        });
        let mut item = Map::new();
        if spec.access == Access::Change {
            post["security"] = json!([{ "token": [] }]);
        } else {
            item.insert(
                "get".into(),
                json!({
                    "operationId": format!("{}_get", name.as_str()),
                    "summary": format!("{description} (The arguments as query parameters.)"),
                    "responses": responses(reply),
                }),
            );
        }
        item.insert("post".into(), post);
        paths.insert(format!("/api/{}", name.as_str()), Value::Object(item));
    }
    paths.insert(
        "/api/events".into(),
        json!({ "get": {
            "operationId": "events",
            "summary": "Live updates as server-sent events: `state` (a whole StateView) on connect and whenever the configuration changes, `monitor` (one MonitorEvent) per engine event, and a keep-alive comment every 15 s.",
            "responses": { "200": { "description": "An event stream.",
                "content": { "text/event-stream": { "schema": { "type": "string" } } } } },
        }}),
    );
    paths.insert(
        "/api/openapi.json".into(),
        json!({ "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "responses": { "200": { "description": "OpenAPI 3.1",
                "content": { "application/json": { "schema": { "type": "object" } } } } },
        }}),
    );
    paths.insert(
        "/metrics".into(),
        json!({ "get": {
            "operationId": "metrics",
            "summary": "Prometheus text format: status, latency quantiles, uptime and counts per target.",
            "responses": { "200": { "description": "Prometheus exposition format.",
                "content": { "text/plain": { "schema": { "type": "string" } } } } },
        }}),
    );
    // Named shapes that only live events carry.
    <monitor::Event as utoipa::ToSchema>::schemas(&mut schemas);
    schemas.push((
        <monitor::Event as utoipa::ToSchema>::name().into_owned(),
        <monitor::Event as utoipa::PartialSchema>::schema(),
    ));
    let mut components = Map::new();
    for (name, schema) in schemas {
        if let Ok(value) = serde_json::to_value(&schema) {
            components.insert(name, value);
        }
    }
    components.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"],
            "properties": { "error": { "type": "string", "description": "A sentence a person can act on." } } }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "LLM Health Monitor",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The commands of the dashboard, as `llm-health serve` answers them. The desktop app runs the same commands over Tauri IPC. See crates/server/API.md for the security model and the transports.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": { "token": {
                "type": "http", "scheme": "bearer",
                "description": "The token `llm-health serve` printed (the address's #token=…)."
            } },
        },
    })
}

fn responses(ok: Value) -> Value {
    let error = |why: &str| {
        json!({ "description": why,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
    };
    json!({
        "200": ok,
        "400": error("Bad arguments, an invalid configuration (the sentence names line and key), or a bad range."),
        "401": error("A command that changes something, without the token."),
        "403": error("A foreign Host or Origin."),
        "404": error("No such command or target, or a command of the desktop app alone."),
        "405": error("A command that changes something, sent as GET."),
        "415": error("A body that is not application/json."),
        "500": error("The server's own failure."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_path_and_every_reference_resolves() {
        let doc = document();
        for name in CommandName::all() {
            assert!(
                doc["paths"][format!("/api/{}", name.as_str())]["post"].is_object(),
                "{name}"
            );
        }
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or_default();
            assert!(schemas.contains_key(name), "unresolved $ref {name}");
        }
        for shape in [
            "StateView",
            "SettingsView",
            "TimelineView",
            "TargetFile",
            "Incident",
            "ProviderIncidentSpan",
            "Beat",
            "Candidate",
        ] {
            assert!(schemas.contains_key(shape), "{shape}");
        }
    }
}
