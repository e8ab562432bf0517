//! The window's IPC: every `invoke(name, args)` of the page goes to the tray app as it came,
//! and runs there on the core as the command of that name. No command is declared here; the
//! core's list is the only one, so the app and `serve` cannot drift apart.

use crate::link::Link;
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
    // The arguments as text, parsed in one place for every transport: by the core.
    let args = match invoke.message.payload() {
        InvokeBody::Json(value) => value.to_string(),
        InvokeBody::Raw(bytes) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let command = invoke.message.command().to_string();
    invoke.resolver.respond_async_serialized(async move {
        let reply = link.call(&command, args).await;
        reply
            .map(|json| InvokeResponseBody::Json(json.get().to_string()))
            .map_err(|err| InvokeError(serde_json::Value::String(err)))
    });
    true
}
