//! The window's IPC, mapped onto the core: every `invoke(name, args)` of the page is the core's
//! command of that name, with its arguments as they came. No command is declared here; the
//! core's list is the only one, so the app and `serve` cannot drift apart.

use tauri::ipc::{Invoke, InvokeBody, InvokeError, InvokeResponseBody};
use tauri::{Manager, Runtime};

/// Tauri's invoke handler: answers every command (an unknown name with the core's refusal).
pub fn handle<R: Runtime>(invoke: Invoke<R>) -> bool {
    // The window can load before setup has handed the core over.
    let Some(core) = invoke
        .message
        .webview_ref()
        .app_handle()
        .try_state::<controller::Handle>()
        .map(|core| core.inner().clone())
    else {
        invoke
            .resolver
            .reject("the app is still starting: try again in a moment");
        return true;
    };
    let command = controller::CommandName::parse(invoke.message.command()).and_then(|name| {
        match invoke.message.payload() {
            InvokeBody::Json(value) => name.from_value(value.clone()),
            InvokeBody::Raw(bytes) => name.from_json(bytes),
        }
    });
    invoke.resolver.respond_async_serialized(async move {
        let reply = match command {
            Ok(command) => core.run(command).await,
            Err(err) => Err(err),
        };
        reply
            .map(InvokeResponseBody::Json)
            .map_err(|err| InvokeError(serde_json::Value::String(err.to_string())))
    });
    true
}
