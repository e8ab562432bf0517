import { api, type Offer, type SettingsView, type StateView, type Status, type TargetView } from "./api";

// Color is never the only cue: every status has its own shape and word.
const MARK: Record<Status, string> = { healthy: "●", degraded: "▲", unhealthy: "■", unknown: "?" };
const WORD: Record<Status, string> = { healthy: "up", degraded: "degraded", unhealthy: "down", unknown: "unknown" };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let state: StateView | null = null;
let settings: SettingsView | null = null;
let ticker: number | undefined;
let refreshQueued = false;

export function durationWords(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return m ? `${Math.floor(s / 3600)} h ${m} min` : `${Math.floor(s / 3600)} h`;
  }
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function summary(s: StateView): string {
  const targets = s.snapshot.targets.filter((t) => t.enabled);
  if (s.snapshot.paused) return "Monitoring paused";
  if (targets.length === 0) return "Nothing configured";
  const down = targets.filter((t) => t.status === "unhealthy");
  const degraded = targets.filter((t) => t.status === "degraded");
  const parts: string[] = [];
  if (down.length) parts.push(`${down.length} of ${targets.length} down: ${down.map((t) => t.name).join(", ")}`);
  if (degraded.length) parts.push(`${degraded.length} degraded: ${degraded.map((t) => t.name).join(", ")}`);
  if (!parts.length) {
    const up = targets.filter((t) => t.status === "healthy").length;
    return up === targets.length ? `All ${up} up` : `${up} of ${targets.length} up, the rest not checked yet`;
  }
  let text = parts.join(" · ");
  if (s.notifications_paused_until) text += ` · notifications paused until ${new Date(s.notifications_paused_until).toLocaleTimeString()}`;
  return text;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(t: TargetView, now: number): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.target = t.id;
  tr.dataset.status = t.enabled ? t.status : "disabled";
  const status = cell(`${MARK[t.status]} ${t.enabled ? WORD[t.status] : "disabled"}`, `status ${t.status}`);
  status.setAttribute("aria-label", `status ${WORD[t.status]}`);
  tr.append(status);
  const name = cell(t.name, "name");
  const kind = document.createElement("small");
  kind.textContent = ` ${t.kind}`;
  name.append(kind);
  tr.append(name);
  tr.append(cell(t.since ? durationWords(now - Date.parse(t.since)) : "—", "since"));
  tr.append(cell(t.last ? `${t.last.latency_ms} ms` : "—"));
  tr.append(cell(t.last ? (t.last.class === "ok" ? "ok" : `${t.last.class}: ${t.last.message}`) : "not checked yet", "last"));
  tr.append(cell(t.last ? `${durationWords(now - Date.parse(t.last.at))} ago` : "—", "ago"));
  const actions = document.createElement("td");
  const check = document.createElement("button");
  check.type = "button";
  check.textContent = "Check";
  check.setAttribute("aria-label", `Check ${t.name} now`);
  check.onclick = () => void api.checkNow(t.id);
  actions.append(check);
  tr.append(actions);
  return tr;
}

function render() {
  if (!state) return;
  const now = Date.now();
  $("summary").textContent = summary(state);
  document.body.dataset.overall = state.snapshot.overall;
  const body = $("targets");
  body.replaceChildren(...state.snapshot.targets.map((t) => row(t, now)));
  $("empty").hidden = state.snapshot.targets.length > 0;
  renderOffers(state.offers);
}

function renderOffers(offers: Offer[] | null) {
  const section = $("onboarding");
  section.hidden = !offers;
  if (!offers) return;
  const list = $("offers");
  if (list.childElementCount === offers.length) return;
  list.replaceChildren(
    ...offers.map((o, i) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = o.found;
      box.dataset.index = String(i);
      label.append(box, ` ${o.target.name ?? o.target.id} — ${o.note}`);
      li.append(label);
      return li;
    }),
  );
}

async function refresh() {
  state = await api.state();
  render();
}

// Events arrive per probe; one state read per animation frame is plenty.
function queueRefresh() {
  if (refreshQueued) return;
  refreshQueued = true;
  requestAnimationFrame(() => {
    refreshQueued = false;
    void refresh();
  });
}

function startTicking() {
  stopTicking();
  ticker = window.setInterval(render, 1000);
}

function stopTicking() {
  if (ticker !== undefined) window.clearInterval(ticker);
  ticker = undefined;
}

function show(view: "dashboard" | "settings") {
  $("dashboard").hidden = view !== "dashboard";
  $("settings").hidden = view !== "settings";
  if (view === "settings") void loadSettings();
}

function route(to: string | null) {
  if (to === "settings") show("settings");
  else {
    show("dashboard");
    if (to?.startsWith("target/")) {
      const id = to.slice("target/".length);
      document.querySelector<HTMLElement>(`tr[data-target="${CSS.escape(id)}"]`)?.scrollIntoView();
    }
  }
}

async function loadSettings() {
  settings = await api.settings();
  const form = $("notify-form") as HTMLFormElement;
  const n = settings.notifications;
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  field("enabled").checked = n.enabled;
  field("on_down").checked = n.on_down;
  field("on_recovered").checked = n.on_recovered;
  field("on_degraded").checked = n.on_degraded;
  field("max_per_target_per_hour").value = String(n.max_per_target_per_hour);
  field("quiet").checked = n.quiet_hours !== null;
  field("quiet_start").value = n.quiet_hours?.start.slice(0, 5) ?? "22:00";
  field("quiet_end").value = n.quiet_hours?.end.slice(0, 5) ?? "07:00";
  field("start_at_login").checked = settings.start_at_login;
  const list = $("target-settings");
  list.replaceChildren(
    ...settings.config.targets.map((t) => {
      const li = document.createElement("li");
      li.dataset.target = t.id;
      const enabled = document.createElement("input");
      enabled.type = "checkbox";
      enabled.checked = t.enabled !== false;
      enabled.setAttribute("aria-label", `watch ${t.name ?? t.id}`);
      enabled.onchange = () => act(api.setEnabled(t.id, enabled.checked));
      const muted = document.createElement("input");
      muted.type = "checkbox";
      muted.checked = settings!.notifications.muted.includes(t.id);
      muted.onchange = () => act(api.setMuted(t.id, muted.checked));
      const mutedLabel = document.createElement("label");
      mutedLabel.append(muted, " mute");
      const origin = settings!.keys[t.id];
      li.append(enabled, ` ${t.name ?? t.id} (${t.kind}) `, mutedLabel);
      if (origin && origin !== "not_needed") {
        const key = document.createElement("input");
        key.type = "password";
        key.autocomplete = "off";
        key.placeholder = origin === "keyring" ? "key in keyring" : origin === "env" ? `from ${t.api_key_env}` : "API key";
        key.setAttribute("aria-label", `API key for ${t.name ?? t.id}`);
        const save = document.createElement("button");
        save.type = "button";
        save.textContent = "Save key";
        save.onclick = () => {
          const value = key.value;
          key.value = "";
          act(api.setApiKey(t.id, value));
        };
        li.append(" ", key, save);
      }
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.onclick = () => act(api.removeTarget(t.id));
      li.append(" ", remove);
      return li;
    }),
  );
}

function act(p: Promise<unknown>, done = "Saved.") {
  p.then(
    () => {
      $("settings-message").textContent = done;
      void loadSettings();
      void refresh();
    },
    (err) => {
      $("settings-message").textContent = String(err);
    },
  );
}

function wire() {
  $("check-all").onclick = () => void api.checkNow();
  $("show-dashboard").onclick = () => show("dashboard");
  $("show-settings").onclick = () => show("settings");
  $("notify-form").onsubmit = (e) => {
    e.preventDefault();
    if (!settings) return;
    const form = e.target as HTMLFormElement;
    const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
    const notifications = {
      ...settings.notifications,
      enabled: field("enabled").checked,
      on_down: field("on_down").checked,
      on_recovered: field("on_recovered").checked,
      on_degraded: field("on_degraded").checked,
      max_per_target_per_hour: Number(field("max_per_target_per_hour").value) || 4,
      quiet_hours: field("quiet").checked
        ? { start: `${field("quiet_start").value}:00`, end: `${field("quiet_end").value}:00` }
        : null,
    };
    act(api.saveSettings(settings.config, notifications, field("start_at_login").checked));
  };
  $("toml-export").onclick = () =>
    void api.exportToml().then((t) => (($("toml") as HTMLTextAreaElement).value = t));
  $("toml-import").onclick = () => act(api.importToml(($("toml") as HTMLTextAreaElement).value), "Imported.");
  $("offers-add").onclick = () => {
    const offers = state?.offers ?? [];
    const picked = [...document.querySelectorAll<HTMLInputElement>("#offers input:checked")].map(
      (b) => offers[Number(b.dataset.index)].target,
    );
    act(api.answerOffers(picked), `Added ${picked.length}.`);
  };
  $("offers-skip").onclick = () => act(api.answerOffers([]), "No endpoints added.");
}

async function main() {
  wire();
  await api.onEvent(queueRefresh);
  await api.onState((s) => {
    state = s;
    render();
  });
  // The backend pushes the state right after this (monitor-state): no read of our own.
  await api.onShown((to) => {
    route(to);
    startTicking();
  });
  // A hidden window keeps no timers: the tray app must cost nothing while nobody looks.
  await api.onHidden(stopTicking);
  await refresh();
  if (document.visibilityState === "visible") startTicking();
}

void main();
