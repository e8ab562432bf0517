// Generated from the Rust types by crates/controller/src/typescript.rs: do not edit.
// After changing a Rust type, run `UPDATE_GENERATED=1 cargo test -p controller generated`.
import type * as T from "./types";

/** Every command of the page: its arguments and its reply. */
export interface Commands {
  /** The whole state: every target's status and last check, pause, where settings live, and the first-run offers. */
  get_state: { args: T.NoArgs; reply: T.StateView };
  /** Probes one target, or every one, now. */
  check_now: { args: T.CheckNowArgs; reply: null };
  /** The configuration as written, notification preferences, and where each key comes from (never the key). */
  get_settings: { args: T.NoArgs; reply: T.SettingsView };
  /** Replaces the configuration (and, in the app, notification preferences and start at login); probing restarts with it. */
  save_settings: { args: T.SaveSettingsArgs; reply: null };
  /** Adds a target, or replaces the one with the same id. */
  upsert_target: { args: T.UpsertTargetArgs; reply: null };
  /** Removes a target (its history stays). */
  remove_target: { args: T.TargetIdArgs; reply: null };
  /** Turns probing of a target on or off. */
  set_target_enabled: { args: T.SetEnabledArgs; reply: null };
  /** Replaces the targets with those of a TOML file; an error names its line and key. */
  import_toml: { args: T.ImportTomlArgs; reply: null };
  /** The configuration as the engine's TOML. */
  export_toml: { args: T.NoArgs; reply: string };
  /** First run: adds the offered endpoints the user picked (possibly none), and makes no offer again. */
  answer_offers: { args: T.AnswerOffersArgs; reply: null };
  /** "Test connection": one probe of a target as the form has it, saving nothing. */
  test_target: { args: T.TestTargetArgs; reply: T.TestResult };
  /** One target's history: uptime, percentiles, status segments, incidents, latency series. */
  history: { args: T.HistoryArgs; reply: T.HistoryView };
  /** Every configured target's history over one window, in configuration order. */
  timeline: { args: T.RangeArgs; reply: T.TimelineView };
  /** Incidents of one target or all, newest first. */
  incidents: { args: T.IncidentArgs; reply: T.Incidents };
  /** What the targets' providers reported on their status pages, of one target or all, newest first: context, never part of a target's status. */
  provider_incidents: { args: T.IncidentArgs; reply: T.ProviderIncidents };
  /** Each target's last checks (30 unless `limit` says), oldest first: the heartbeat strip. */
  recent_checks: { args: T.RecentChecksArgs; reply: T.RecentChecks };
  /** The usable targets (healthy or degraded), best first; `kind` and `local` narrow them. */
  healthy: { args: T.HealthyArgs; reply: T.Healthy };
  /** Mutes or unmutes one target's notifications. */
  set_muted: { args: T.SetMutedArgs; reply: null };
  /** Pauses notifications for some minutes, until tomorrow morning (0), or resumes (null). */
  pause_notifications: { args: T.PauseArgs; reply: null };
  /** Stores a target's API key in the OS keyring and checks the target again. */
  set_api_key: { args: T.SetApiKeyArgs; reply: null };
  /** Removes a target's API key from the OS keyring. */
  delete_api_key: { args: T.DeleteApiKeyArgs; reply: null };
  /** Stores an alert channel's URL in the OS keyring (the channel's entry names no URL). */
  set_channel_url: { args: T.SetChannelUrlArgs; reply: null };
  /** Hides the window to the tray. */
  hide_window: { args: T.NoArgs; reply: null };
  /** Silences one target's notices for some minutes, until tomorrow morning (0), or ends the snooze (null); what happened meanwhile is summed up when it ends. */
  snooze_target: { args: T.SnoozeArgs; reply: null };
  /** "Send test notice": one `test` notice to an alert channel, now; fails with the reason when it was not delivered. */
  test_alert_channel: { args: T.ChannelIdArgs; reply: null };
}

export type CommandName = keyof Commands;

/** Whether each command changes anything (and so needs `serve`'s token), and what it needs from the shell. */
export const COMMANDS: readonly { name: CommandName; access: T.Access; needs: T.Capability | null }[] = [
  {
    "access": "read",
    "name": "get_state",
    "needs": null
  },
  {
    "access": "change",
    "name": "check_now",
    "needs": null
  },
  {
    "access": "read",
    "name": "get_settings",
    "needs": null
  },
  {
    "access": "change",
    "name": "save_settings",
    "needs": null
  },
  {
    "access": "change",
    "name": "upsert_target",
    "needs": null
  },
  {
    "access": "change",
    "name": "remove_target",
    "needs": null
  },
  {
    "access": "change",
    "name": "set_target_enabled",
    "needs": null
  },
  {
    "access": "change",
    "name": "import_toml",
    "needs": null
  },
  {
    "access": "read",
    "name": "export_toml",
    "needs": null
  },
  {
    "access": "change",
    "name": "answer_offers",
    "needs": null
  },
  {
    "access": "change",
    "name": "test_target",
    "needs": null
  },
  {
    "access": "read",
    "name": "history",
    "needs": null
  },
  {
    "access": "read",
    "name": "timeline",
    "needs": null
  },
  {
    "access": "read",
    "name": "incidents",
    "needs": null
  },
  {
    "access": "read",
    "name": "provider_incidents",
    "needs": null
  },
  {
    "access": "read",
    "name": "recent_checks",
    "needs": null
  },
  {
    "access": "read",
    "name": "healthy",
    "needs": null
  },
  {
    "access": "change",
    "name": "set_muted",
    "needs": null
  },
  {
    "access": "change",
    "name": "pause_notifications",
    "needs": null
  },
  {
    "access": "change",
    "name": "set_api_key",
    "needs": "keyring"
  },
  {
    "access": "change",
    "name": "delete_api_key",
    "needs": "keyring"
  },
  {
    "access": "change",
    "name": "set_channel_url",
    "needs": "keyring"
  },
  {
    "access": "change",
    "name": "hide_window",
    "needs": "desktop"
  },
  {
    "access": "change",
    "name": "snooze_target",
    "needs": null
  },
  {
    "access": "change",
    "name": "test_alert_channel",
    "needs": null
  }
];
