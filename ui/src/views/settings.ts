// Settings: targets (add, edit, remove, watch, mute, key), alert channels (channels.ts), engine
// defaults, notifications and start at login (app only), the config as TOML, and About (version
// and where the files are). Every change goes to the backend, which
// validates it; its sentence (naming line and key) is shown next to what caused it.
import { h, report } from "../dom";
import { keyEnvOf, KINDS, PRESETS } from "../domain";
import { ENGINE_DEFAULTS } from "../generated/tables";
import type { KeyOrigin, SettingsView, TargetFile, TimingFile } from "../generated/types";
import { channelsSection } from "./channels";
import { targetForm } from "./target-form";
import type { Ctx, View } from "./view";

const DEFAULT_KEYS: [keyof TimingFile, string, "text" | "number"][] = [
  ["interval", "Interval", "text"],
  ["timeout", "Timeout", "text"],
  ["slow_ms", "Slow above (ms)", "number"],
  ["failure_threshold", "Failures before unhealthy", "number"],
  ["success_threshold", "Successes before healthy", "number"],
  ["backoff_max", "Longest backoff", "text"],
  ["confirm_interval", "Confirm a failure after", "text"],
  ["degraded_after", "Degraded checks before an incident", "number"],
];

const ORIGIN_WORDS: Record<KeyOrigin, string> = {
  keyring: "Key in the OS keyring.",
  env: "Key from the environment.",
  missing: "No key yet.",
  not_needed: "",
};

function box(name: string, on: boolean, text: string): HTMLLabelElement {
  return h("label", { class: "check" }, h("input", { type: "checkbox", name, checked: on }), ` ${text}`);
}

function kindLabel(t: TargetFile): string {
  const preset = PRESETS.find((p) => p.preset === t.preset);
  return preset ? preset.label : (KINDS.find((k) => k.kind === t.kind)?.label ?? t.kind);
}

export function settings(root: HTMLElement, { api, store }: Ctx): View {
  let view: SettingsView | null = null;
  const list = h("ul", { id: "target-settings", class: "target-settings" });
  const listMessage = h("p", { id: "targets-message", role: "alert" });
  const general = h("form", { id: "general-form" });
  const generalMessage = h("p", { id: "general-message", role: "alert" });
  const toml = h("textarea", { id: "toml", name: "toml", rows: "14", spellcheck: "false", "aria-label": "Config TOML" });
  const tomlMessage = h("p", { id: "toml-message", role: "alert" });
  const defaults = () => ({ ...ENGINE_DEFAULTS, ...(view?.config.defaults ?? {}) });
  const form = targetForm(api, defaults, () => reload(`Saved.`));
  const add = h("button", { type: "button", id: "add-target" }, "Add target");
  const channels = channelsSection(api, () => reload());
  add.addEventListener("click", () => form.edit(null));
  const about = h("dl", { id: "about", class: "about" });

  const exportBtn = h("button", { type: "button", id: "toml-export" }, "Show current");
  exportBtn.addEventListener("click", () =>
    void report(tomlMessage, api.exportToml().then((t) => (toml.value = t))),
  );
  const importBtn = h("button", { type: "button", id: "toml-import" }, "Import");
  importBtn.addEventListener("click", () =>
    void report(tomlMessage, api.importToml(toml.value), "Imported.").then((ok) => ok && reload()),
  );

  root.replaceChildren(
    h("h2", null, "Settings"),
    h("section", { "aria-labelledby": "targets-title" },
      h("h3", { id: "targets-title" }, "Targets"),
      list,
      listMessage,
      add,
      form.form,
    ),
    channels.section,
    h("section", { "aria-labelledby": "general-title" }, h("h3", { id: "general-title" }, "General"), general, generalMessage),
    h("section", { "aria-labelledby": "toml-title" },
      h("h3", { id: "toml-title" }, "Config file (TOML)"),
      h("p", null, "The format llm-health reads. Import replaces the targets; API keys are never part of it."),
      toml,
      h("div", { class: "buttons" }, exportBtn, " ", importBtn),
      tomlMessage,
    ),
    h("section", { "aria-labelledby": "about-title" }, h("h3", { id: "about-title" }, "About"), about),
  );

  function drawAbout() {
    const s = store.state;
    if (!s) return;
    const rows: [string, string][] = [
      ["Version", s.version],
      ["Configuration", s.config_source],
      ["Profile and history", s.data_dir],
    ];
    about.replaceChildren(...rows.flatMap(([term, value]) => [h("dt", null, term), h("dd", null, value)]));
  }

  function act(p: Promise<unknown>, done = "Saved.") {
    void report(listMessage, p, done).then((ok) => ok && reload(done));
  }

  function keyArea(t: TargetFile, origin: KeyOrigin): HTMLElement {
    if (!api.inApp) {
      const env = keyEnvOf(t);
      return h("p", { class: "key" }, origin === "env"
        ? `Key read from ${env} by the server.`
        : `No key: set ${env} in the environment of llm-health serve, then restart it.`);
    }
    const input = h("input", { type: "password", autocomplete: "off", "aria-label": `API key for ${t.name ?? t.id}`,
      placeholder: origin === "keyring" ? "replace the saved key" : "paste the key" });
    const save = h("button", { type: "button" }, "Save key");
    save.addEventListener("click", () => {
      const key = input.value;
      input.value = "";
      if (key) act(api.setApiKey(t.id, key), "Key saved to the keyring.");
    });
    const parts: (Node | string)[] = [h("span", null, ORIGIN_WORDS[origin]), " ", input, " ", save];
    if (origin === "keyring") {
      const del = h("button", { type: "button" }, "Forget key");
      del.addEventListener("click", () => act(api.deleteApiKey(t.id), "Key removed from the keyring."));
      parts.push(" ", del);
    }
    return h("p", { class: "key" }, ...parts);
  }

  function item(t: TargetFile, s: SettingsView): HTMLLIElement {
    const label = t.name ?? t.id;
    const watched = h("input", { type: "checkbox", checked: t.enabled !== false });
    watched.addEventListener("change", () => act(api.setTargetEnabled(t.id, watched.checked)));
    const edit = h("button", { type: "button", "aria-label": `Edit ${label}` }, "Edit");
    edit.addEventListener("click", () => form.edit(t));
    const remove = h("button", { type: "button", "aria-label": `Remove ${label}` }, "Remove");
    let armed: number | undefined;
    // Two presses: a stray Enter must not delete a target and its settings.
    remove.addEventListener("click", () => {
      if (armed === undefined) {
        remove.textContent = "Press again to remove";
        armed = window.setTimeout(() => ((armed = undefined), (remove.textContent = "Remove")), 4000);
        return;
      }
      window.clearTimeout(armed);
      act(api.removeTarget(t.id), `Removed ${label}.`);
    });
    const parts: (Node | string)[] = [
      h("strong", null, label), " ", h("small", null, `${kindLabel(t)} · ${t.id}`), " ",
      h("label", null, watched, " watched"),
    ];
    // The app keeps mutes with its notification settings, serve in the file's [notifications].
    const mutedIds = s.notifications?.muted ?? s.config.notifications?.muted ?? [];
    const muted = h("input", { type: "checkbox", checked: mutedIds.includes(t.id) });
    muted.addEventListener("change", () => act(api.setMuted(t.id, muted.checked)));
    parts.push(" ", h("label", null, muted, " muted"));
    parts.push(" ", edit, " ", remove);
    const origin = s.keys[t.id] ?? "not_needed";
    const li = h("li", null, h("div", null, ...parts), origin !== "not_needed" ? keyArea(t, origin) : null);
    li.dataset.target = t.id;
    return li;
  }

  function drawGeneral(s: SettingsView) {
    const d = s.config.defaults ?? {};
    const rows = DEFAULT_KEYS.map(([k, label, type]) =>
      h("label", { class: "field" }, h("span", null, label),
        h("input", { type, name: `defaults.${k}`, value: d[k] ?? "", placeholder: String(ENGINE_DEFAULTS[k]), min: type === "number" ? "0" : null })),
    );
    const parts: HTMLElement[] = [h("fieldset", null, h("legend", null, "Engine defaults (every target inherits them)"), h("div", { class: "grid" }, rows))];
    const n = s.notifications;
    if (n) {
      parts.push(
        h("fieldset", null, h("legend", null, "Notifications"),
          box("notify.enabled", n.enabled, "Notifications on"),
          box("notify.on_down", n.on_down, "When an endpoint goes down"),
          box("notify.on_recovered", n.on_recovered, "When it recovers"),
          box("notify.on_degraded", n.on_degraded, "When it becomes degraded (slow, rate limited)"),
          box("notify.on_provider_incident", n.on_provider_incident, "When a provider's status page reports an incident on a watched component"),
          h("label", null, "At most ", h("input", { type: "number", name: "notify.max_per_target_per_hour", min: "0", max: "60", value: n.max_per_target_per_hour }), " per endpoint per hour"),
          h("label", null, h("input", { type: "checkbox", name: "notify.quiet", checked: n.quiet_hours !== null }), " Quiet hours from ",
            h("input", { type: "time", name: "notify.quiet_start", value: n.quiet_hours?.start.slice(0, 5) ?? "22:00" }), " to ",
            h("input", { type: "time", name: "notify.quiet_end", value: n.quiet_hours?.end.slice(0, 5) ?? "07:00" })),
        ),
      );
    }
    if (s.start_at_login !== null) {
      parts.push(h("fieldset", null, h("legend", null, "App"), box("start_at_login", s.start_at_login, "Start at login")));
    }
    general.replaceChildren(...parts, h("button", { type: "submit" }, "Save"));
  }

  general.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!view) return;
    const s = view;
    const el = (name: string) => general.elements.namedItem(name) as HTMLInputElement | null;
    const defaultsOut: TimingFile = {};
    for (const [k, , type] of DEFAULT_KEYS) {
      const v = el(`defaults.${k}`)?.value.trim();
      if (v) (defaultsOut as Record<string, unknown>)[k] = type === "number" ? Number(v) : v;
    }
    const config = { ...s.config, defaults: Object.keys(defaultsOut).length ? defaultsOut : undefined };
    const n = s.notifications;
    const notifications = n && {
      ...n,
      enabled: el("notify.enabled")!.checked,
      on_down: el("notify.on_down")!.checked,
      on_recovered: el("notify.on_recovered")!.checked,
      on_degraded: el("notify.on_degraded")!.checked,
      on_provider_incident: el("notify.on_provider_incident")!.checked,
      max_per_target_per_hour: Number(el("notify.max_per_target_per_hour")!.value || n.max_per_target_per_hour),
      quiet_hours: el("notify.quiet")!.checked
        ? { start: `${el("notify.quiet_start")!.value}:00`, end: `${el("notify.quiet_end")!.value}:00` }
        : null,
    };
    const startAtLogin = s.start_at_login === null ? null : el("start_at_login")!.checked;
    void report(generalMessage, api.saveSettings(config, notifications, startAtLogin), "Saved.").then((ok) => ok && reload());
  });

  function draw(s: SettingsView) {
    view = s;
    list.replaceChildren(...s.config.targets.map((t) => item(t, s)));
    if (!s.config.targets.length) list.append(h("li", { class: "empty" }, "No targets yet."));
    channels.draw(s);
    drawGeneral(s);
  }

  function reload(done?: string) {
    api.getSettings().then(
      (s) => {
        draw(s);
        if (done) listMessage.textContent = done;
      },
      (err: Error) => (listMessage.textContent = err.message),
    );
  }

  reload();
  drawAbout();
  return { update: drawAbout };
}
