// Settings → Alert channels: where notices go besides the desktop (`[[alerts]]`). The list shows
// what the core resolved (`ChannelView`: the destination in words, never a URL), each with "Send
// test notice". Adding, editing or removing a channel saves the whole configuration as it came,
// with only `alerts` changed: URLs the page holds masked ("https://host/…") the core puts back.
// In the app a typed URL goes to the OS keyring (`set_channel_url`) and the entry keeps only an
// id; in a browser it goes into the entry's `url`, or the server reads it from `url_env`.
import { canRun, type Backend } from "../api";
import { h, report } from "../dom";
import type { AlertFile, ChannelKind, ChannelView, NoticeEvent, SettingsView } from "../generated/types";

/** Every kind, in words (a new one fails `tsc` until it is named here). */
export const CHANNEL_KINDS: Record<ChannelKind, { label: string; url: string }> = {
  webhook: { label: "Webhook (JSON POST)", url: "Receives each notice as JSON, POSTed." },
  ntfy: { label: "ntfy", url: "The topic URL, e.g. https://ntfy.sh/my-topic." },
  slack: { label: "Slack", url: "A Slack incoming-webhook URL." },
  discord: { label: "Discord", url: "A Discord webhook URL." },
  command: { label: "Command", url: "" },
};

/** Every event a channel can get, in words, in the core's order. */
export const NOTICE_EVENTS: Record<NoticeEvent, string> = {
  down: "down",
  recovered: "recovered",
  degraded: "degraded (slow, rate limited)",
  offline: "offline (this machine's network)",
  online: "back online",
  still_down: "still down (after a pause or quiet hours)",
  maintenance_summary: "summary after maintenance or a snooze",
  provider_incident: "provider incident (its status page, when notifications ask for it)",
  test: "test notice",
};

const EVENTS = Object.keys(NOTICE_EVENTS) as NoticeEvent[];
/** What a channel naming no `events` gets: every event but `degraded`. */
export const DEFAULT_EVENTS: readonly NoticeEvent[] = EVENTS.filter((e) => e !== "degraded");

/** What the form holds. */
export interface ChannelForm {
  name: string;
  kind: ChannelKind;
  /** Where the URL comes from: typed (config `url`, or the keyring in the app) or a variable. */
  source: "url" | "env";
  url: string;
  url_env: string;
  token_env: string;
  /** One argument per line, the program first. */
  command: string;
  events: NoticeEvent[];
  /** None: every target. */
  targets: string[];
  enabled: boolean;
}

/** What saving the form does: the entry written, and a URL for the keyring (app) if any. */
export interface ChannelPlan {
  entry: AlertFile;
  keyringUrl: string | null;
}

/** A channel id from its name: lowercase words joined by "-", unique among `taken`. */
export function slug(name: string, taken: Iterable<string>, fallback = "channel"): string {
  const base = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || fallback;
  const used = new Set(taken);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  return id;
}

/** The argv a command field says: one argument per line, blank lines dropped, nothing unquoted. */
export function parseCommand(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

/** Where an existing entry's URL comes from, as the form offers it. */
function sourceOf(a: AlertFile | null): "url" | "env" {
  return a?.url_env ? "env" : "url";
}

/**
 * The `[[alerts]]` entry the form says, or the sentence saying what is missing. `original` is
 * the entry being edited (null: a new one); `keyring`: the URL goes to the OS keyring (the app);
 * `taken`: the ids of the other channels. A typed URL always wins; left empty, an edited entry
 * keeps where its URL was (its masked `url`, which the core restores, or the keyring).
 */
export function planChannel(f: ChannelForm, original: AlertFile | null, keyring: boolean, taken: string[]): ChannelPlan | string {
  const name = f.name.trim();
  const url = f.url.trim();
  const newId = () => slug(name || f.kind, taken, f.kind);
  const entry: AlertFile = { kind: f.kind };
  let id = original?.id;
  let keyringUrl: string | null = null;
  if (f.kind === "command") {
    const argv = parseCommand(f.command);
    if (!argv.length) return "Name the program to run, on the first line.";
    entry.command = argv;
  } else if (f.source === "env") {
    const env = f.url_env.trim();
    if (!env) return "Give the name of the environment variable that holds the URL.";
    entry.url_env = env;
  } else if (url) {
    if (keyring) {
      // The keyring keeps the URL under the channel's id, so the entry needs one.
      id ??= newId();
      keyringUrl = url;
    } else entry.url = url;
  } else {
    const had = original && original.kind !== "command" && sourceOf(original) === "url";
    if (!had) return "Paste the channel's URL.";
    if (original.url !== undefined) entry.url = original.url;
    else if (!original.id) return "Paste the channel's URL.";
  }
  // New channels get an id of their own: stable for the keyring, logs and "Send test notice".
  id ??= original ? undefined : newId();
  if (f.kind === "ntfy" && f.token_env.trim()) entry.token_env = f.token_env.trim();
  if (!f.events.length) return "Pick at least one event, or turn the channel off.";
  const events = EVENTS.filter((e) => f.events.includes(e));
  const isDefault = events.length === DEFAULT_EVENTS.length && DEFAULT_EVENTS.every((e) => events.includes(e));
  // In the file's order: id, name, kind, where to, what about.
  const out: AlertFile = { ...(id ? { id } : {}), ...(name ? { name } : {}), ...entry };
  if (!isDefault || original?.events) out.events = events;
  if (f.targets.length) out.targets = [...f.targets];
  if (!f.enabled) out.enabled = false;
  return { entry: out, keyringUrl };
}

/** The config's `alerts` with entry `index` replaced (null: appended). */
export function withChannel(alerts: AlertFile[] | undefined, index: number | null, entry: AlertFile): AlertFile[] {
  const list = [...(alerts ?? [])];
  if (index === null || index >= list.length) list.push(entry);
  else list[index] = entry;
  return list;
}

/**
 * The config's `alerts` without entry `index`, or why not: the core puts a masked URL back by
 * the entry's id, or by its place when it has none, so removing a channel must not move an
 * id-less channel whose URL the page holds only masked.
 */
export function withoutChannel(alerts: AlertFile[], index: number): AlertFile[] | string {
  if (alerts.slice(index + 1).some((a) => !a.id && a.url !== undefined)) {
    return "The channels after this one have no id, and their URLs are not shown here: give them an `id` in the config file first, or remove this one there.";
  }
  return alerts.filter((_, i) => i !== index);
}

/** The entry of the config a listed channel is (the core lists them in config order). */
function entryIndex(alerts: AlertFile[], c: ChannelView, i: number): number {
  const at = alerts.findIndex((a, k) => (a.id ?? `alert-${k + 1}`) === c.id);
  return at >= 0 ? at : i;
}

const eventWords = (events: NoticeEvent[]) =>
  events.length === DEFAULT_EVENTS.length && DEFAULT_EVENTS.every((e) => events.includes(e))
    ? "every event but degraded"
    : events.map((e) => e.replace(/_/g, " ")).join(", ");

export interface ChannelsSection {
  section: HTMLElement;
  draw(s: SettingsView): void;
}

export function channelsSection(api: Backend, reload: (done?: string) => void): ChannelsSection {
  const keyring = canRun(api, "set_channel_url");
  let view: SettingsView | null = null;
  /** The entry being edited: its index in `alerts`, or null for a new one. */
  let editing: number | null = null;
  const list = h("ul", { id: "channel-list", class: "target-settings" });
  const message = h("p", { id: "channels-message", role: "alert" });
  const add = h("button", { type: "button", id: "add-channel" }, "Add channel");
  add.addEventListener("click", () => edit(null));

  // ---- the form ------------------------------------------------------------------------------
  const field = (label: string, input: HTMLElement, hint?: HTMLElement | string) =>
    h("label", { class: "field" }, h("span", null, label), input, hint ? h("small", null, hint) : null);
  const text = (name: string, placeholder = "") =>
    h("input", { type: "text", name, autocomplete: "off", spellcheck: "false", placeholder });
  const kind = h("select", { name: "kind" },
    Object.entries(CHANNEL_KINDS).map(([k, v]) => h("option", { value: k }, v.label)));
  const urlInput = text("url", "https://…");
  const urlHint = h("small");
  const fromUrl = h("input", { type: "radio", name: "url_source", value: "url", checked: true });
  const fromEnv = h("input", { type: "radio", name: "url_source", value: "env" });
  const sourceField = h("fieldset", { class: "source" }, h("legend", null, "URL"),
    h("label", null, fromUrl, keyring ? " Paste it (kept in the OS keyring)" : " Paste it (written to the config file)"),
    h("label", null, fromEnv, " Read it from an environment variable of the monitor"),
    h("label", { class: "field", "data-for": "url" }, urlInput, urlHint),
    h("label", { class: "field", "data-for": "url_env" }, text("url_env", "e.g. SLACK_WEBHOOK_URL"),
      h("small", null, "The variable's name, never the URL itself; read at each delivery.")),
  );
  const tokenField = field("Token variable (optional)", text("token_env", "e.g. NTFY_TOKEN"),
    "ntfy: the environment variable holding an access token, sent as a bearer token.");
  const commandField = field("Command", h("textarea", { name: "command", rows: "3", spellcheck: "false", placeholder: "/usr/local/bin/on-llm-alert\n--flag" }),
    "One per line: the program, then each argument. No shell: quotes and $VARIABLES are passed as written. " +
    "It gets the notice as JSON on stdin, and LLM_HEALTH_EVENT, LLM_HEALTH_TITLE, LLM_HEALTH_TARGETS.");
  const events = h("fieldset", { class: "events" }, h("legend", null, "Events"),
    EVENTS.map((e) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "events", value: e }), ` ${NOTICE_EVENTS[e]}`)));
  const targets = h("fieldset", { class: "targets" });
  const error = h("p", { id: "channel-error", role: "alert", class: "error" });
  const title = h("h4", { id: "channel-form-title" });
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h("form", { id: "channel-form", hidden: true, "aria-labelledby": "channel-form-title", novalidate: true },
    title,
    h("div", { class: "grid" },
      field("Name", text("name", "e.g. Team Slack")),
      field("Kind", kind),
      h("label", { class: "field check" }, h("input", { type: "checkbox", name: "enabled", checked: true }), " On"),
    ),
    sourceField, tokenField, commandField, events, targets,
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save channel"), " ", cancel),
    error,
  );
  const el = <T extends HTMLElement = HTMLInputElement>(name: string) => form.elements.namedItem(name) as unknown as T;

  /** Fields follow the kind and where the URL comes from. */
  function hints() {
    const k = kind.value as ChannelKind;
    const env = fromEnv.checked;
    sourceField.hidden = k === "command";
    commandField.hidden = k !== "command";
    tokenField.hidden = k !== "ntfy";
    (sourceField.querySelector('[data-for="url"]') as HTMLElement).hidden = env;
    (sourceField.querySelector('[data-for="url_env"]') as HTMLElement).hidden = !env;
    const original = editing === null ? null : (view?.config.alerts ?? [])[editing] ?? null;
    const keeps = original && original.kind !== "command" && sourceOf(original) === "url";
    const shown = keeps ? view?.channels.find((c, i) => entryIndex(view!.config.alerts ?? [], c, i) === editing)?.destination : undefined;
    urlInput.placeholder = keeps ? `unchanged (${shown ?? "saved"})` : "https://…";
    urlHint.textContent = `${CHANNEL_KINDS[k].url} ${keeps ? "Leave empty to keep the saved URL; it is never shown again." : ""}`.trim();
  }
  kind.addEventListener("change", hints);
  fromUrl.addEventListener("change", hints);
  fromEnv.addEventListener("change", hints);

  /** The form as values (tests read it the same way). */
  function values(): ChannelForm {
    const checked = (name: string) =>
      [...form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((i) => i.value);
    return {
      name: el("name").value,
      kind: kind.value as ChannelKind,
      source: fromEnv.checked ? "env" : "url",
      url: urlInput.value,
      url_env: el("url_env").value,
      token_env: el("token_env").value,
      command: el<HTMLTextAreaElement>("command").value,
      events: checked("events") as NoticeEvent[],
      targets: checked("targets"),
      enabled: el("enabled").checked,
    };
  }

  function edit(index: number | null) {
    if (!view) return;
    editing = index;
    const a = index === null ? null : (view.config.alerts ?? [])[index] ?? null;
    form.reset();
    error.textContent = "";
    title.textContent = a ? `Edit ${a.name ?? a.id ?? "channel"}` : "Add a channel";
    el("name").value = a?.name ?? "";
    kind.value = a?.kind ?? "webhook";
    (a && sourceOf(a) === "env" ? fromEnv : fromUrl).checked = true;
    urlInput.value = ""; // a saved URL is never put back on screen
    el("url_env").value = a?.url_env ?? "";
    el("token_env").value = a?.token_env ?? "";
    el<HTMLTextAreaElement>("command").value = (a?.command ?? []).join("\n");
    const on = new Set(a?.events ?? DEFAULT_EVENTS);
    events.querySelectorAll<HTMLInputElement>("input").forEach((i) => (i.checked = on.has(i.value as NoticeEvent)));
    const chosen = new Set(a?.targets ?? []);
    targets.replaceChildren(h("legend", null, "Only about these targets (none ticked: every target)"),
      ...view.config.targets.map((t) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "targets", value: t.id, checked: chosen.has(t.id) }), ` ${t.name ?? t.id}`)));
    el("enabled").checked = a?.enabled !== false;
    form.hidden = false;
    hints();
    el("name").focus();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!view) return;
    const s = view;
    const alerts = s.config.alerts ?? [];
    const original = editing === null ? null : alerts[editing] ?? null;
    const own = original ? s.channels.find((c, i) => entryIndex(alerts, c, i) === editing)?.id : undefined;
    const plan = planChannel(values(), original, keyring, s.channels.map((c) => c.id).filter((id) => id !== own));
    if (typeof plan === "string") {
      error.textContent = plan;
      return;
    }
    const config = { ...s.config, alerts: withChannel(alerts, editing, plan.entry) };
    // The entry names no URL until the keyring has it: saved first, then the URL stored.
    const save = api.saveSettings(config, null, null).then(() =>
      plan.keyringUrl !== null ? api.setChannelUrl(plan.entry.id!, plan.keyringUrl) : undefined);
    void report(error, save).then((ok) => {
      if (!ok) return;
      urlInput.value = "";
      form.hidden = true;
      reload();
      message.textContent = `Saved ${plan.entry.name ?? plan.entry.id ?? "the channel"}.`;
    });
  });
  cancel.addEventListener("click", () => {
    urlInput.value = "";
    form.hidden = true;
  });

  // ---- the list ------------------------------------------------------------------------------
  function item(c: ChannelView, index: number, s: SettingsView): HTMLLIElement {
    const names = c.targets?.map((id) => s.config.targets.find((t) => t.id === id)?.name ?? id);
    const result = h("span", { class: "channel-result", role: "status" });
    const test = h("button", { type: "button", class: "test-notice", "aria-label": `Send a test notice to ${c.name}` }, "Send test notice");
    test.addEventListener("click", () => {
      test.disabled = true;
      const sent = report(result, api.testAlertChannel(c.id), "Sent");
      result.textContent = "Sending…";
      delete result.dataset.result;
      void sent.then((ok) => {
        result.dataset.result = ok ? "sent" : "error";
        test.disabled = false;
      });
    });
    const editBtn = h("button", { type: "button", "aria-label": `Edit ${c.name}` }, "Edit");
    editBtn.addEventListener("click", () => edit(index));
    const remove = h("button", { type: "button", "aria-label": `Remove ${c.name}` }, "Remove");
    let armed: number | undefined;
    remove.addEventListener("click", () => {
      if (armed === undefined) {
        remove.textContent = "Press again to remove";
        armed = window.setTimeout(() => ((armed = undefined), (remove.textContent = "Remove")), 4000);
        return;
      }
      window.clearTimeout(armed);
      const alerts = withoutChannel(s.config.alerts ?? [], index);
      if (typeof alerts === "string") {
        message.textContent = alerts;
        message.classList.add("error");
        return;
      }
      void report(message, api.saveSettings({ ...s.config, alerts }, null, null), `Removed ${c.name}.`).then((ok) => ok && reload());
    });
    const li = h("li", { class: c.enabled ? "" : "disabled" },
      h("div", null,
        h("strong", null, c.name), " ", h("small", null, `${CHANNEL_KINDS[c.kind]?.label ?? c.kind} · ${c.id}`),
        c.enabled ? null : h("small", null, " · off"), " ",
        test, " ", editBtn, " ", remove, " ", result),
      h("p", { class: "key" },
        h("span", { class: "destination" }, `To ${c.destination}`),
        ` · ${eventWords(c.events)} · ${names ? `about ${names.join(", ")}` : "every target"}`),
    );
    li.dataset.channel = c.id;
    li.dataset.enabled = String(c.enabled);
    return li;
  }

  const section = h("section", { id: "channels", "aria-labelledby": "channels-title" },
    h("h3", { id: "channels-title" }, "Alert channels"),
    h("p", null, "Notices can also go to a webhook, ntfy, Slack, Discord or a program (", h("code", null, "[[alerts]]"),
      " in the config file), each for the events and targets you pick. ",
      keyring ? "A pasted URL is kept in the OS keyring." : "A URL is never shown again once saved; the server can also read it from an environment variable."),
    list, message, add, form,
  );

  return {
    section,
    draw(s) {
      view = s;
      const alerts = s.config.alerts ?? [];
      list.replaceChildren(...s.channels.map((c, i) => item(c, entryIndex(alerts, c, i), s)));
      if (!s.channels.length) list.append(h("li", { class: "empty" }, "No alert channels yet."));
    },
  };
}
