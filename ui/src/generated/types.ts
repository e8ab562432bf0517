// Generated from the Rust types by crates/controller/src/typescript.rs: do not edit.
// After changing a Rust type, run `UPDATE_GENERATED=1 cargo test -p controller generated`.

/**
 * Whether a command only reads, or changes the configuration or what the monitor does.
 */
export type Access = "read" | "change";

/**
 * One `[[alerts]]` entry as written.
 */
export type AlertFile = { 
/**
 * Names the channel in logs, in the Settings and for its keyring entry; `alert-<n>` when
 * not given.
 */
id?: string, name?: string, kind: ChannelKind, 
/**
 * The webhook's URL, or ntfy's topic URL. A secret: prefer `url_env`.
 */
url?: string, 
/**
 * The environment variable holding the URL.
 */
url_env?: string, 
/**
 * ntfy: the environment variable holding an access token (sent as a bearer token).
 */
token_env?: string, 
/**
 * The events sent; every one but `degraded` when not given.
 */
events?: Array<NoticeEvent>, 
/**
 * The targets notices are sent about; all when not given.
 */
targets?: Array<string>, 
/**
 * For `kind = "command"`: the program and its arguments (no shell).
 */
command?: Array<string>, enabled?: boolean, };

export type AnswerOffersArgs = { 
/**
 * The offered endpoints the user picked, possibly none.
 */
targets: Array<TargetFile>, };

/**
 * One check as a heartbeat strip draws it: when, what it found, how it left the target.
 */
export type Beat = { at: string, class: Class, status: Status, latency_ms: number, };

/**
 * One target as routing weighs it; `GET /api/healthy` and `pick --json` list these.
 */
export type Candidate = { target: string, kind: Kind, base_url: string, 
/**
 * A server the user runs (local kinds and local presets), as `--local` means it.
 */
local: boolean, status: Status, 
/**
 * 0–1, 1 = every recent probe fine.
 */
score: number, 
/**
 * The last probe's answer time.
 */
latency_ms: number | null, };

/**
 * What only some shells have. A command that needs one is refused, with the reason, by a shell
 * without it.
 */
export type Capability = "keyring" | "notifications" | "desktop";

export type ChannelIdArgs = { 
/**
 * The channel's id (`id` in `[[alerts]]`, or `alert-<n>`).
 */
id: string, };

export type ChannelKind = "webhook" | "ntfy" | "slack" | "discord" | "command";

/**
 * One alert channel as the Settings list shows it; never its URL or token.
 */
export type ChannelView = { id: string, name: string, kind: ChannelKind, 
/**
 * Where notices go, in words: "https://hooks.slack.com/…", "the URL in $NTFY_URL", "the
 * URL in the keyring", or the program.
 */
destination: string, events: Array<NoticeEvent>, 
/**
 * `null`: every target.
 */
targets: Array<string> | null, enabled: boolean, };

/**
 * One finished probe, with the status the state machine derived after it.
 */
export type Check = { target: string, outcome: Outcome, 
/**
 * Status after this outcome.
 */
status: Status, 
/**
 * Health score 0–1 after this outcome (1 = every recent probe fine).
 */
score: number, 
/**
 * Hard failures in a row after this outcome, as the state machine counts them (the
 * `consecutive_failures` of the target's view): failures during the grace after the machine
 * woke up are not counted. Above 0 with a status other than `unhealthy`, the check is
 * *pending*: a failure below `failure_threshold` that changed no status (yet).
 */
consecutive_failures: number, };

export type CheckNowArgs = { 
/**
 * One target, or every one when absent.
 */
target: string | null, };

/**
 * What happened in one probe, from a closed list.
 */
export type Class = "ok" | "slow" | "timeout" | "connect" | "tls" | "auth" | "quota" | "rate_limited" | "overloaded" | "server_error" | "not_found" | "bad_response" | "loading" | "credits_low";

/**
 * A status page component's status; `unknown` when the page has no component matching the
 * target's, or does not answer in a known shape.
 */
export type ComponentStatus = "operational" | "degraded_performance" | "partial_outage" | "major_outage" | "under_maintenance" | "unknown";

/**
 * The file as written: every per-target key optional, so defaults can fill in.
 *
 * Also the shape the UI and the HTTP API exchange: TypeScript (ts-rs) and OpenAPI (utoipa)
 * declarations are generated from it.
 */
export type ConfigFile = { engine?: EngineSettings, defaults?: TimingFile, targets: Array<TargetFile>, notifications?: NotificationsFile, alerts?: Array<AlertFile>, maintenance?: Array<MaintenanceFile>, };

/**
 * What is left on the account (OpenRouter's key limit, DeepSeek's balance).
 */
export type Credits = { remaining?: number, limit?: number, usage?: number, 
/**
 * USD, CNY, …
 */
unit: string, };

export type Day = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

export type DeleteApiKeyArgs = { target: string, };

/**
 * What a probe learned beyond its class. Every field is optional: probes fill what the API gives.
 */
export type Details = { server_version?: string, 
/**
 * Model inventory (installed or listed models): at most `MODELS_KEPT` of them, the probed
 * or configured model among them when listed.
 */
models?: Array<string>, 
/**
 * How many models the server listed, when that is more than `models` holds.
 */
models_total?: number, loaded_models?: Array<LoadedModel>, rate_limit?: RateLimit, retry_after_ms?: number, 
/**
 * Time to first token of an inference probe.
 */
ttft_ms?: number, tokens_per_second?: number, tokens?: TokenUse, 
/**
 * The model an inference probe used.
 */
probed_model?: string, 
/**
 * Why an inference probe did not generate (e.g. no model loaded), when it did not.
 */
skipped?: string, 
/**
 * What the provider's status page says (context only).
 */
provider_status?: ProviderStatus, 
/**
 * What is left on the account.
 */
credits?: Credits, 
/**
 * The server's own load (vLLM).
 */
server_load?: ServerLoad, };

/**
 * One unit of duration words, largest first. The UI reads the same table (generated), so a
 * stretch of time never reads differently in two places.
 */
export type DurationUnit = { word: string, seconds: number, next: NextUnit, };

/**
 * Engine-wide settings.
 */
export type EngineSettings = { 
/**
 * Probes in flight at once, across all targets.
 */
max_concurrent_probes: number, };

/**
 * `healthy`: the usable targets, best first (healthy before degraded, then the health score,
 * then the faster answer).
 */
export type Healthy = Array<Candidate>;

/**
 * Which usable targets `healthy` lists.
 */
export type HealthyArgs = { 
/**
 * Only targets of this kind.
 */
kind?: Kind, 
/**
 * `true`: only servers the user runs; `false`: only cloud APIs; absent: both.
 */
local?: boolean, };

/**
 * One target's history over a window (see [`WindowArgs`] for the window).
 */
export type HistoryArgs = { target: string, range?: Range, from?: string, to?: string, buckets?: number, };

/**
 * A target's [`History`] with its name, kind and latency series.
 */
export type HistoryView = { name: string, kind: Kind, latency: Array<LatencyPoint>, target: string, from: string, to: string, 
/**
 * Time healthy or degraded ÷ time not unknown (from `segments`), × 100; `None` when all of
 * the range is unknown.
 */
uptime_pct: number | null, 
/**
 * Checks in the range.
 */
checks: number, 
/**
 * Checks whose class has hard severity (did not work).
 */
failures: number, 
/**
 * `failures / checks`; `None` without checks.
 */
error_rate: number | null, 
/**
 * Nearest-rank latency percentiles of the checks that got an answer (severity ok or soft).
 * Exact for ranges up to 1 h whose raw checks are still kept; otherwise read from merged
 * log-bucket histograms (5-minute and hourly roll-ups), within 2 % of the exact value.
 */
p50_ms: number | null, p90_ms: number | null, p99_ms: number | null, 
/**
 * The status timeline, see [`Segment`].
 */
segments: Array<Segment>, 
/**
 * Incidents touching the range, newest first.
 */
incidents: Array<Incident>, };

export type ImportTomlArgs = { 
/**
 * A whole file in the engine's TOML format; it replaces the targets.
 */
textToml: string, };

/**
 * A stretch of non-healthy status. Serialized with a derived `duration_ms` once it has ended.
 */
export type Incident = { target: string, started_at: string, 
/**
 * `null` while the incident is still open.
 */
ended_at: string | null, 
/**
 * Only for ended incidents: an open one's duration depends on when it is read.
 */
duration_ms: number | null, 
/**
 * The worst status reached during the incident.
 */
worst: Status, 
/**
 * The class that caused the worst status.
 */
cause: Class, message: string, };

/**
 * The incident list's arguments: one target or all, over a range ending now (the last 30 days
 * when absent), at most `limit` (500 when absent).
 */
export type IncidentArgs = { 
/**
 * A target's id; every target when absent or null.
 */
target?: string | null, 
/**
 * One of `1h 6h 24h 7d 30d`; `30d` when absent.
 */
range?: Range, 
/**
 * At most this many incidents, 500 when absent.
 */
limit?: number, };

/**
 * `incidents`: newest first.
 */
export type Incidents = Array<Incident>;

/**
 * The overall indicator of a provider's status page (Statuspage's `status.indicator`).
 */
export type Indicator = "none" | "minor" | "major" | "critical";

/**
 * Where a target's API key comes from, as settings show it (never the key itself).
 */
export type KeyOrigin = "keyring" | "env" | "missing" | "not_needed";

/**
 * Which API a target speaks.
 */
export type Kind = "ollama" | "lmstudio" | "openai" | "anthropic" | "gemini" | "openai_compatible" | "llamacpp" | "vllm";

/**
 * One bucket of the latency series: checks in `[from, to)`, failures among them (hard
 * severity, as in [`History`]), and percentiles of the answered ones. Buckets narrower than
 * 5 minutes are read from raw checks (exact); wider ones from 5-minute roll-ups, buckets an hour
 * wide or more from hourly ones, and stretches whose raw checks retention removed from hourly
 * roll-ups (within 2 %; a rolled-up slot counts in the bucket holding its middle).
 */
export type LatencyPoint = { from: string, to: string, checks: number, failures: number, p50_ms: number | null, p90_ms: number | null, };

/**
 * A model resident in a local server's memory.
 */
export type LoadedModel = { name: string, size_bytes?: number, vram_bytes?: number, 
/**
 * Share of the model held in GPU memory, 0–1 (`size_vram / size`).
 */
vram_share?: number, 
/**
 * When the server will unload it (RFC 3339), if the server says.
 */
expires_at?: string, context_length?: number, };

/**
 * A stretch of maintenance or a snooze, as the timeline draws it.
 */
export type MaintenanceBand = { 
/**
 * The targets it covers; `null`: every target.
 */
targets: Array<string> | null, 
/**
 * The window's name, if it has one.
 */
name: string | null, start: string, end: string, 
/**
 * A snooze from the tray or the page rather than a configured window.
 */
snooze: boolean, };

/**
 * One `[[maintenance]]` entry as written.
 */
export type MaintenanceFile = { 
/**
 * What it is for, shown on the timeline ("nightly model update").
 */
name?: string, 
/**
 * The targets it covers; all when not given.
 */
targets?: Array<string>, 
/**
 * One-off: RFC 3339 with an offset, e.g. "2026-12-24T22:00:00+01:00".
 */
start?: string, end?: string, 
/**
 * Weekly: the days it starts on.
 */
days?: Array<Day>, 
/**
 * Weekly: local "HH:MM"; a `to` before `from` ends the next day.
 */
from?: string, to?: string, 
/**
 * Weekly: an IANA zone ("Europe/Berlin"); this machine's zone when not given.
 */
timezone?: string, };

/**
 * One engine event, tagged by `type`.
 */
export type MonitorEvent = { "type": "checked" } & Check | { "type": "transition" } & Transition | { "type": "incident" } & Incident | { "type": "slept", from: string, to: string, };

/**
 * When a unit of [`DURATION_UNITS`] is followed by the next smaller one.
 */
export type NextUnit = "always" | "unless_zero" | "never";

/**
 * The arguments of a command that takes none (`{}`, `null` or nothing at all).
 */
export type NoArgs = Record<symbol, never>;

/**
 * What a notice is about: the `event` of the webhook's JSON and of `events` filters.
 */
export type NoticeEvent = "down" | "recovered" | "degraded" | "offline" | "online" | "still_down" | "maintenance_summary" | "provider_incident" | "test";

/**
 * The `[notifications]` table as written; every key optional.
 */
export type NotificationsFile = { 
/**
 * `false` sends nothing anywhere.
 */
enabled?: boolean, on_down?: boolean, on_recovered?: boolean, on_degraded?: boolean, 
/**
 * A notice when a provider's status page reports an incident on a watched component.
 */
on_provider_incident?: boolean, 
/**
 * Local "HH:MM"; with `quiet_to`, a stretch without notices that ends in one summary.
 */
quiet_from?: string, quiet_to?: string, 
/**
 * Notices mentioning one target in any rolling hour (default 4); 0 silences every target.
 */
max_per_target_per_hour?: number, 
/**
 * Target ids nothing is said about.
 */
muted?: Array<string>, };

/**
 * The notification settings.
 */
export type NotifyPrefs = { enabled: boolean, on_down: boolean, on_recovered: boolean, 
/**
 * Off by default: slow or rate-limited still works, and a notice for it is mostly noise.
 */
on_degraded: boolean, 
/**
 * Off by default: a status page is the provider's word, not ours, and our probes tell
 * whether the endpoint works.
 */
on_provider_incident: boolean, quiet_hours: QuietHours | null, 
/**
 * Notices mentioning one target in any rolling hour; 0 silences every target.
 */
max_per_target_per_hour: number, 
/**
 * Target ids nothing is said about.
 */
muted: Array<string>, 
/**
 * Changes within this long of the first one are told together.
 */
group_window_ms?: number, 
/**
 * How long a cloud target that cannot be reached is held back, in case the others follow
 * and the cause is this machine's network.
 */
offline_window_ms?: number, };

/**
 * One endpoint found on first run, offered to the user (never added silently).
 */
export type Offer = { target: TargetFile, 
/**
 * Whether it answered (a local server) or its key is set (a cloud API).
 */
found: boolean, note: string, };

/**
 * The result of one probe against one target.
 */
export type Outcome = { 
/**
 * When the probe started.
 */
at: string, class: Class, 
/**
 * The HTTP status of the response that decided the class, if one arrived.
 */
http_status: number | null, 
/**
 * Wall time of the whole exchange, body included.
 */
latency_ms: number, 
/**
 * Human-readable summary; never contains a secret.
 */
message: string, details: Details, };

export type PauseArgs = { 
/**
 * Minutes to pause for; 0 pauses until tomorrow morning; absent (null) resumes.
 */
minutes: number | null, };

/**
 * Named settings for the OpenAI-compatible providers, so a config says `preset = "groq"`
 * instead of repeating base URLs and key variables.
 */
export type Preset = "groq" | "mistral" | "openrouter" | "deepseek" | "together" | "azure" | "jan" | "localai" | "koboldcpp" | "text_generation_webui";

/**
 * How much a probe is allowed to do.
 */
export type ProbeLevel = "reachable" | "inference";

/**
 * An unresolved incident on a provider's status page.
 */
export type ProviderIncident = { id?: string, name: string, 
/**
 * none, minor, major, critical or maintenance, as the page says.
 */
impact?: string, 
/**
 * investigating, identified, monitoring, …, as the page says.
 */
status?: string, started_at?: string, url?: string, };

/**
 * One provider incident over the time a target's checks saw it reported.
 */
export type ProviderIncidentSpan = { 
/**
 * The target whose status page reported it.
 */
target: string, 
/**
 * Who reported it ("OpenAI"), or the page's address when the page names no one.
 */
provider: string, id?: string, name: string, impact?: string, 
/**
 * The page's latest word on it (investigating, monitoring, …).
 */
status?: string, started_at: string, 
/**
 * The first check that no longer saw it reported; `null` while it is.
 */
ended_at: string | null, url?: string, };

/**
 * `provider_incidents`: what the targets' status pages reported, newest first.
 */
export type ProviderIncidents = Array<ProviderIncidentSpan>;

/**
 * What the provider's own status page says: context beside our probes, never our verdict.
 */
export type ProviderStatus = { 
/**
 * Who reports it, for "OpenAI reports: …".
 */
provider?: string, 
/**
 * The status page's address.
 */
page?: string, indicator?: Indicator, description?: string, 
/**
 * The page's component watched for this target, as the page names it.
 */
component?: string, component_status?: ComponentStatus, 
/**
 * Unresolved incidents that affect the component (all of them when none is watched).
 */
incidents: Array<ProviderIncident>, };

/**
 * A stretch of local time without notifications. It may cross midnight (22:00–07:00);
 * `start == end` means never quiet.
 */
export type QuietHours = { 
/**
 * Local wall-clock time, "HH:MM" or "HH:MM:SS".
 */
start: string, end: string, };

/**
 * The history ranges the UI and CLI offer.
 */
export type Range = "1h" | "6h" | "24h" | "7d" | "30d";

/**
 * A time window as the UI asks for it: a named range ending now, or explicit ends. Every field
 * may be left out (or null).
 */
export type RangeArgs = { 
/**
 * One of `1h 6h 24h 7d 30d`; `24h` when absent.
 */
range?: Range, 
/**
 * Overrides the start (default: `to` minus the range).
 */
from?: string, 
/**
 * Overrides the end (default: now).
 */
to?: string, 
/**
 * Latency points, 120 when absent, clamped to 1..=1000.
 */
buckets?: number, };

/**
 * Rate-limit headroom read from response headers.
 */
export type RateLimit = { requests_limit?: number, requests_remaining?: number, 
/**
 * Time until the request budget resets.
 */
requests_reset_ms?: number, tokens_limit?: number, tokens_remaining?: number, tokens_reset_ms?: number, };

/**
 * `recent_checks`: each configured target's last checks, oldest first, by target id.
 */
export type RecentChecks = { [key in string]: Array<Beat> };

/**
 * The last checks of one target or of every configured one.
 */
export type RecentChecksArgs = { 
/**
 * A target's id; every configured target when absent or null.
 */
target?: string | null, 
/**
 * At most this many checks per target (30 when absent, 500 at most).
 */
limit?: number, };

export type SaveSettingsArgs = { config: ConfigFile, 
/**
 * Left out (null) to keep what is set; a browser has none to send.
 */
notifications: NotifyPrefs | null, startAtLogin: boolean | null, };

/**
 * One stretch of the status timeline.
 *
 * The timeline over `[from, to)`: the status at `from` is the `to` of the last transition at or
 * before `from` (`Unknown` if there is none); each later transition starts a new segment; spans
 * the machine slept read as `Unknown` whatever the transitions say; adjacent segments with the
 * same status are merged; everything is clipped to the range. Segments are contiguous: the first
 * starts at `from`, the last ends at `to`.
 *
 * The store knows no "now" and no "the app was not running": the last status runs on to `to`.
 * Callers pass `to = now`; stretches the engine did not watch read as whatever status it last
 * reported, unless it sent a sleep or a transition to `Unknown` for them.
 */
export type Segment = { from: string, to: string, status: Status, };

/**
 * A model server's own load (vLLM's `/metrics`).
 */
export type ServerLoad = { running?: number, waiting?: number, 
/**
 * Share of the KV cache in use, 0–1.
 */
kv_cache_used?: number, };

export type SetApiKeyArgs = { target: string, key: string, };

export type SetChannelUrlArgs = { 
/**
 * The channel's id; its `[[alerts]]` entry names no `url` or `url_env`.
 */
id: string, 
/**
 * The webhook's (or ntfy topic's) URL, kept in the OS keyring.
 */
url: string, };

export type SetEnabledArgs = { id: string, enabled: boolean, };

export type SetMutedArgs = { id: string, muted: boolean, };

/**
 * `get_settings`.
 */
export type SettingsView = { config: ConfigFile, 
/**
 * `null` where there are no notifications (`serve`).
 */
notifications: NotifyPrefs | null, 
/**
 * `null` where there is no login to start at (`serve`).
 */
start_at_login: boolean | null, 
/**
 * Where each target's API key comes from; never the key itself.
 */
keys: { [key in string]: KeyOrigin }, 
/**
 * The alert channels (`[[alerts]]`) as resolved, for the list with "Send test notice".
 */
channels: Array<ChannelView>, };

/**
 * Every target as readers see it, and the overall status.
 */
export type Snapshot = { paused: boolean, overall: Status, targets: Array<TargetView>, };

export type SnoozeArgs = { 
/**
 * The target.
 */
id: string, 
/**
 * Minutes to snooze for; 0 snoozes until tomorrow morning; absent (null) ends the snooze.
 */
minutes: number | null, };

/**
 * `get_state`, and the live `state` event.
 */
export type StateView = { snapshot: Snapshot, 
/**
 * `null` also where there are no notifications (`serve`).
 */
notifications_paused_until: string | null, data_dir: string, config_source: string, 
/**
 * The program's version, git commit and build date, for the About section:
 * `0.1.0 (commit 1a2b3c4, built 2026-12-02)`.
 */
version: string, 
/**
 * First run: what was detected, until the user adds or declines it.
 */
offers: Array<Offer> | null, 
/**
 * Why the history is not written as it should be (a full disk, a file deleted under the
 * monitor, events lost), in a sentence; `null` while all is well.
 */
history_problem: string | null, 
/**
 * Targets whose notices are snoozed, with the end of each snooze.
 */
snoozed_until: Record<string, string>, };

/**
 * What an outcome history means for the user, decided by the state machine.
 */
export type Status = "healthy" | "degraded" | "unhealthy" | "unknown";

/**
 * One `[[targets]]` entry as written. The timing keys are repeated rather than flattened
 * (serde's `flatten` would lose unknown-key errors).
 */
export type TargetFile = { id: string, name?: string, kind: Kind, preset?: Preset, base_url?: string, api_key_env?: string, probe?: ProbeLevel, model?: string, models?: Array<string>, api_version?: string, enabled?: boolean, status_page?: string, status_component?: string, min_credits?: number, interval?: string, timeout?: string, slow_ms?: number, failure_threshold?: number, success_threshold?: number, backoff_max?: string, confirm_interval?: string, degraded_after?: number, };

export type TargetIdArgs = { id: string, };

/**
 * What a reader (tray, UI, `watch`) sees of one target.
 */
export type TargetView = { id: string, name: string, kind: Kind, enabled: boolean, status: Status, since: string | null, score: number | null, 
/**
 * Hard failures in a row. Above 0 with a status other than `unhealthy`, the target is
 * *pending*: a failure below `failure_threshold`, being confirmed, that changed no status.
 */
consecutive_failures: number, checking: boolean, next_check_at: string | null, 
/**
 * Shared with the engine: readers get it without a copy per probe.
 */
last: Outcome | null, };

/**
 * What "Test connection" shows: the outcome of one probe, and what it alone says about the
 * target.
 */
export type TestResult = { status: Status, outcome: Outcome, };

export type TestTargetArgs = { 
/**
 * The target as the form has it, not saved.
 */
target: TargetFile, 
/**
 * A key typed into the form, used for this probe only.
 */
apiKey: string | null, };

/**
 * Every target's view over one window, in the order asked for.
 */
export type TimelineView = { from: string, to: string, targets: Array<HistoryView>, 
/**
 * Maintenance windows and snoozes within the window, drawn as bands. The store knows
 * none: the core fills them in.
 */
maintenance: Array<MaintenanceBand>, 
/**
 * What the targets' providers reported within the window, newest first: context bands,
 * never part of a target's status.
 */
provider_incidents: Array<ProviderIncidentSpan>, };

/**
 * Timing keys as the file writes them: durations are strings like "30s" or "1m 30s".
 */
export type TimingFile = { interval?: string, timeout?: string, slow_ms?: number, failure_threshold?: number, success_threshold?: number, backoff_max?: string, confirm_interval?: string, degraded_after?: number, };

/**
 * Tokens an inference probe spent.
 */
export type TokenUse = { input: number, output: number, };

/**
 * A status change with its reason: what notifications and the timeline are made of.
 */
export type Transition = { target: string, at: string, from: Status, to: Status, 
/**
 * The class of the outcome that caused the change.
 */
class: Class, reason: string, };

export type UpsertTargetArgs = { 
/**
 * Added, or replacing the target with the same id.
 */
target: TargetFile, };
