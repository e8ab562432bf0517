// The one module that talks to the backend. Inside the desktop app that is Tauri IPC and
// events; the browser transport (HTTP + server-sent events from `llm-health serve`) joins here.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export type Status = "healthy" | "degraded" | "unhealthy" | "unknown";

export interface Outcome {
  at: string;
  class: string;
  http_status?: number | null;
  latency_ms: number;
  message: string;
}

export interface TargetView {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
  status: Status;
  since: string | null;
  score: number | null;
  checking: boolean;
  last: Outcome | null;
}

export interface Snapshot {
  paused: boolean;
  overall: Status;
  targets: TargetView[];
}

export interface TargetFile {
  id: string;
  name?: string;
  kind: string;
  base_url?: string;
  api_key_env?: string;
  enabled?: boolean;
  [key: string]: unknown;
}

export interface Offer {
  target: TargetFile;
  found: boolean;
  note: string;
}

export interface StateView {
  snapshot: Snapshot;
  notifications_paused_until: string | null;
  data_dir: string;
  config_source: string;
  offers: Offer[] | null;
}

export interface QuietHours {
  start: string;
  end: string;
}

export interface NotifyPrefs {
  enabled: boolean;
  on_down: boolean;
  on_recovered: boolean;
  on_degraded: boolean;
  quiet_hours: QuietHours | null;
  max_per_target_per_hour: number;
  muted: string[];
  [key: string]: unknown;
}

export interface ConfigFile {
  targets: TargetFile[];
  [key: string]: unknown;
}

export type KeyOrigin = "keyring" | "env" | "missing" | "not_needed";

export interface SettingsView {
  config: ConfigFile;
  notifications: NotifyPrefs;
  start_at_login: boolean;
  keys: Record<string, KeyOrigin>;
}

export interface MonitorEvent {
  type: "checked" | "transition" | "incident" | "slept";
  target?: string;
  [key: string]: unknown;
}

export const api = {
  state: () => invoke<StateView>("get_state"),
  checkNow: (target?: string) => invoke<void>("check_now", { target: target ?? null }),
  settings: () => invoke<SettingsView>("get_settings"),
  saveSettings: (config: ConfigFile, notifications: NotifyPrefs, startAtLogin: boolean) =>
    invoke<void>("save_settings", { config, notifications, startAtLogin }),
  setEnabled: (id: string, enabled: boolean) => invoke<void>("set_target_enabled", { id, enabled }),
  setMuted: (id: string, muted: boolean) => invoke<void>("set_muted", { id, muted }),
  removeTarget: (id: string) => invoke<void>("remove_target", { id }),
  setApiKey: (target: string, key: string) => invoke<void>("set_api_key", { target, key }),
  importToml: (text: string) => invoke<void>("import_toml", { textToml: text }),
  exportToml: () => invoke<string>("export_toml"),
  answerOffers: (targets: TargetFile[]) => invoke<void>("answer_offers", { targets }),
  onEvent: (f: (e: MonitorEvent) => void): Promise<UnlistenFn> =>
    listen<MonitorEvent>("monitor-event", (e) => f(e.payload)),
  onState: (f: (s: StateView) => void): Promise<UnlistenFn> =>
    listen<StateView>("monitor-state", (e) => f(e.payload)),
  onShown: (f: (route: string | null) => void): Promise<UnlistenFn> =>
    listen<string | null>("window-shown", (e) => f(e.payload)),
  onHidden: (f: () => void): Promise<UnlistenFn> => listen("window-hidden", () => f()),
};
