//! The window's IPC: every `invoke(name, args)` of the page goes to the tray app as it came,
//! and runs there on the core as the command of that name. No command is declared here; the
//! core's list is the only one, so the app and `serve` cannot drift apart.

use crate::link::Link;
use serde_json::value::RawValue;
use tauri::ipc::{Invoke, InvokeBody, InvokeError, InvokeResponseBody};
use tauri::{Manager, Runtime};

/// Tauri's invoke handler: answers every command (an unknown name with the core's refusal).
pub fn handle<R: Runtime>(invoke: Invoke<R>) -> bool {
    let Some(link) = invoke
        .message
        .webview_ref()
        .app_handle()
        .try_state::<Link>()
        .map(|link| link.inner().clone())
    else {
        invoke
            .resolver
            .reject("the window is still starting: try again in a moment");
        return true;
    };
    let args = match invoke.message.payload() {
        InvokeBody::Json(value) => {
            RawValue::from_string(value.to_string()).map_err(|e| e.to_string())
        }
        InvokeBody::Raw(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            RawValue::from_string("null".into()).map_err(|e| e.to_string())
        }
        InvokeBody::Raw(bytes) => std::str::from_utf8(bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| RawValue::from_string(text.to_string()).map_err(|e| e.to_string())),
    };
    let command = invoke.message.command().to_string();
    invoke.resolver.respond_async_serialized(async move {
        let reply = match args {
            Ok(args) => link.call(&command, Some(args)).await,
            Err(err) => Err(format!("the arguments of {command} are not JSON: {err}")),
        };
        reply
            .map(|json| InvokeResponseBody::Json(json.get().to_string()))
            .map_err(|err| InvokeError(serde_json::Value::String(err)))
    });
    true
}
