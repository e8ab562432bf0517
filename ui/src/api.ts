// The one module that talks to the backend (crates/server/API.md). The same commands travel by
// Tauri IPC inside the desktop app and by HTTP + server-sent events from `llm-health serve` in a
// browser; the rest of the UI sees only `Backend`.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { COMMANDS, type CommandName, type Commands } from "./generated/commands";
import type {
  ConfigFile, HistoryView, IncidentArgs, Incidents, MonitorEvent, NotifyPrefs, ProviderIncidents, RangeArgs,
  RecentChecks, SettingsView, StateView, TargetFile, TestResult, TimelineView,
} from "./generated/types";

export type Connection = "live" | "reconnecting";
type Off = () => void;

/** What a command takes and what it answers, as the Rust side declares it (generated). */
export type Args<K extends CommandName> = Commands[K]["args"];
export type Reply<K extends CommandName> = Commands[K]["reply"];

/** Every command goes through this: a misspelt name or a wrong argument shape fails `tsc`. */
export type Call = <K extends CommandName>(name: K, args: Args<K>) => Promise<Reply<K>>;

export interface Backend {
  /** Inside the desktop app: keyring, notifications and start-at-login exist only there. */
  readonly inApp: boolean;
  getState(): Promise<StateView>;
  checkNow(target: string | null): Promise<Reply<"check_now">>;
  getSettings(): Promise<SettingsView>;
  saveSettings(config: ConfigFile, notifications: NotifyPrefs | null, startAtLogin: boolean | null): Promise<Reply<"save_settings">>;
  upsertTarget(target: TargetFile): Promise<Reply<"upsert_target">>;
  removeTarget(id: string): Promise<Reply<"remove_target">>;
  setTargetEnabled(id: string, enabled: boolean): Promise<Reply<"set_target_enabled">>;
  importToml(text: string): Promise<Reply<"import_toml">>;
  exportToml(): Promise<string>;
  answerOffers(targets: TargetFile[]): Promise<Reply<"answer_offers">>;
  testTarget(target: TargetFile, apiKey: string | null): Promise<TestResult>;
  history(target: string, args: RangeArgs): Promise<HistoryView>;
  timeline(args: RangeArgs): Promise<TimelineView>;
  incidents(args: IncidentArgs): Promise<Incidents>;
  /** What status pages reported over a range: one span per target that saw it. */
  providerIncidents(args: IncidentArgs): Promise<ProviderIncidents>;
  /** The last checks of every target (or one), oldest first: the heartbeat strips. */
  recentChecks(target: string | null, limit: number): Promise<RecentChecks>;
  setMuted(id: string, muted: boolean): Promise<Reply<"set_muted">>;
  setApiKey(target: string, key: string): Promise<Reply<"set_api_key">>;
  deleteApiKey(target: string): Promise<Reply<"delete_api_key">>;
  /** Keeps an alert channel's URL in the OS keyring (the app only). */
  setChannelUrl(id: string, url: string): Promise<Reply<"set_channel_url">>;
  /** "Send test notice": resolves when delivered, rejects with why it was not. */
  testAlertChannel(id: string): Promise<Reply<"test_alert_channel">>;
  /** Minutes, 0 = until tomorrow morning, null = end the snooze. */
  snoozeTarget(id: string, minutes: number | null): Promise<Reply<"snooze_target">>;
  /** Closes the app's window to the tray (the app only). */
  hideWindow(): Promise<Reply<"hide_window">>;
  onMonitor(f: (e: MonitorEvent) => void): Off;
  onState(f: (s: StateView) => void): Off;
  /** Whether anyone can see the page; `route` is where the app asked to open ("settings", …). */
  onVisibility(f: (visible: boolean, route: string | null) => void): Off;
  onConnection(f: (c: Connection) => void): Off;
}

/**
 * Whether this shell can run a command: what `COMMANDS` says it needs (keyring, notifications,
 * desktop) only the app has; `serve` has none of them.
 */
export function canRun(api: Pick<Backend, "inApp">, name: CommandName): boolean {
  const needs = COMMANDS.find((c) => c.name === name)?.needs ?? null;
  return needs === null || api.inApp;
}

/** What differs between the app and a browser: how a command travels and where events come from. */
interface Transport {
  inApp: boolean;
  /** Sends one command as it is; `over` gives it its types. */
  send(name: CommandName, args: Args<CommandName>): Promise<unknown>;
  onMonitor(f: (e: MonitorEvent) => void): Off;
  onState(f: (s: StateView) => void): Off;
  onVisibility(f: (visible: boolean, route: string | null) => void): Off;
  onConnection(f: (c: Connection) => void): Off;
}

/** The one typed way in: the reply is what `Commands` says the command answers. */
function typedCall(send: Transport["send"]): Call {
  return <K extends CommandName>(name: K, args: Args<K>) => send(name, args) as Promise<Reply<K>>;
}

function over(t: Transport): Backend {
  const call = typedCall(t.send);
  return {
    inApp: t.inApp,
    getState: () => call("get_state", {}),
    checkNow: (target) => call("check_now", { target }),
    getSettings: () => call("get_settings", {}),
    saveSettings: (config, notifications, startAtLogin) =>
      call("save_settings", { config, notifications, startAtLogin }),
    upsertTarget: (target) => call("upsert_target", { target }),
    removeTarget: (id) => call("remove_target", { id }),
    setTargetEnabled: (id, enabled) => call("set_target_enabled", { id, enabled }),
    importToml: (textToml) => call("import_toml", { textToml }),
    exportToml: () => call("export_toml", {}),
    answerOffers: (targets) => call("answer_offers", { targets }),
    testTarget: (target, apiKey) => call("test_target", { target, apiKey }),
    history: (target, args) => call("history", { target, ...args }),
    timeline: (args) => call("timeline", { ...args }),
    incidents: (args) => call("incidents", { ...args }),
    providerIncidents: (args) => call("provider_incidents", { ...args }),
    recentChecks: (target, limit) => call("recent_checks", { target, limit }),
    setMuted: (id, muted) => call("set_muted", { id, muted }),
    setApiKey: (target, key) => call("set_api_key", { target, key }),
    deleteApiKey: (target) => call("delete_api_key", { target }),
    setChannelUrl: (id, url) => call("set_channel_url", { id, url }),
    testAlertChannel: (id) => call("test_alert_channel", { id }),
    snoozeTarget: (id, minutes) => call("snooze_target", { id, minutes }),
    hideWindow: () => call("hide_window", {}),
    onMonitor: t.onMonitor,
    onState: t.onState,
    onVisibility: t.onVisibility,
    onConnection: t.onConnection,
  };
}

// ---- desktop app: Tauri IPC --------------------------------------------------------------------

function tauriListen<T>(event: string, f: (payload: T) => void): Off {
  const pending = listen<T>(event, (e) => f(e.payload));
  return () => void pending.then((off) => off());
}

function ipcTransport(): Transport {
  return {
    inApp: true,
    send: (name, args) =>
      invoke(name, args).catch((err: unknown) => {
        throw err instanceof Error ? err : new Error(String(err));
      }),
    onMonitor: (f) => tauriListen("monitor-event", f),
    onState: (f) => tauriListen("monitor-state", f),
    onVisibility: (f) => {
      const shown = tauriListen<string | null>("window-shown", (route) => f(true, route));
      const hidden = tauriListen<null>("window-hidden", () => f(false, null));
      return () => (shown(), hidden());
    },
    // IPC has no connection to lose.
    onConnection: (f) => (f("live"), () => {}),
  };
}

// ---- browser: HTTP + server-sent events from `llm-health serve` -------------------------------

const TOKEN_KEY = "llm-health-token";

export const NEEDS_TOKEN =
  "This change needs the access token. Open the address that `llm-health serve` printed " +
  "when it started (it ends in #token=…); reading works without it.";

/**
 * Takes the access token out of the address (`#token=…`), keeps it for this tab, and removes it
 * from the address bar so it is neither bookmarked nor shown over a shoulder.
 */
export function takeToken(): string | null {
  const parts = location.hash.slice(1).split("&");
  const found = parts.find((p) => p.startsWith("token="));
  if (found) {
    const token = decodeURIComponent(found.slice("token=".length));
    sessionStorage.setItem(TOKEN_KEY, token);
    const rest = parts.filter((p) => p !== found).join("&");
    history.replaceState(history.state, "", `${location.pathname}${location.search}#${rest || "/"}`);
    if (token) return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function httpSend(token: string | null, name: CommandName, args: Args<CommandName>): Promise<unknown> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`/api/${name}`, { method: "POST", headers, body: JSON.stringify(args) });
  const text = await res.text();
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`.trim();
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      // Not JSON (a proxy's page, say): the status line is all there is.
    }
    throw new Error(res.status === 401 ? `${message} ${NEEDS_TOKEN}` : message);
  }
  return text ? JSON.parse(text) : null;
}

/** One EventSource shared by every listener; reopened after the server closes it for good. */
class Events {
  private source: EventSource | null = null;
  private retry = 1000;
  private monitor = new Set<(e: MonitorEvent) => void>();
  private state = new Set<(s: StateView) => void>();
  private conn = new Set<(c: Connection) => void>();
  private current: Connection = "reconnecting";

  private open() {
    if (this.source) return;
    const es = new EventSource("/api/events");
    this.source = es;
    es.onopen = () => {
      this.retry = 1000;
      this.set("live");
    };
    es.onerror = () => {
      this.set("reconnecting");
      // CONNECTING: the browser retries by itself. CLOSED (a 4xx/5xx, or not an event stream):
      // it never will, so try again later, more slowly each time.
      if (es.readyState === 2) {
        es.close();
        this.source = null;
        setTimeout(() => this.open(), this.retry);
        this.retry = Math.min(this.retry * 2, 30_000);
      }
    };
    es.addEventListener("monitor", (e) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as MonitorEvent;
      this.monitor.forEach((f) => f(event));
    });
    es.addEventListener("state", (e) => {
      const state = JSON.parse((e as MessageEvent<string>).data) as StateView;
      this.set("live");
      this.state.forEach((f) => f(state));
    });
  }

  private set(c: Connection) {
    if (c === this.current) return;
    this.current = c;
    this.conn.forEach((f) => f(c));
  }

  add<T>(set: Set<(x: T) => void>, f: (x: T) => void): Off {
    set.add(f);
    this.open();
    return () => set.delete(f);
  }

  onMonitor = (f: (e: MonitorEvent) => void) => this.add(this.monitor, f);
  onState = (f: (s: StateView) => void) => this.add(this.state, f);
  onConnection = (f: (c: Connection) => void) => {
    f(this.current);
    return this.add(this.conn, f);
  };
}

function httpTransport(): Transport {
  const token = takeToken();
  const events = new Events();
  return {
    inApp: false,
    send: (name, args) => httpSend(token, name, args),
    onMonitor: events.onMonitor,
    onState: events.onState,
    onConnection: events.onConnection,
    onVisibility: (f) => {
      const changed = () => f(document.visibilityState === "visible", null);
      document.addEventListener("visibilitychange", changed);
      return () => document.removeEventListener("visibilitychange", changed);
    },
  };
}

export function createBackend(): Backend {
  return over("__TAURI_INTERNALS__" in window ? ipcTransport() : httpTransport());
}
