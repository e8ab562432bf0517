import { describe, expect, it } from "vitest";
import { Store } from "../src/store";
import { settings } from "../src/views/settings";
import { DEFAULT_EVENTS, planChannel, slug, withoutChannel, type ChannelForm } from "../src/views/channels";
import type { AlertFile, ChannelView, SettingsView } from "../src/generated/types";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { settingsView } from "./fixtures";

const SLACK: AlertFile = { id: "team", name: "Team Slack", kind: "slack", url: "https://hooks.slack.com/…", events: ["down", "recovered"] };
const NTFY: AlertFile = { kind: "ntfy", url_env: "NTFY_URL", token_env: "NTFY_TOKEN", targets: ["ollama"] };

function withChannels(inApp: boolean): SettingsView {
  const s = settingsView(inApp);
  const channels: ChannelView[] = [
    { id: "team", name: "Team Slack", kind: "slack", destination: "https://hooks.slack.com/…", events: ["down", "recovered"], targets: null, enabled: true },
    { id: "alert-2", name: "alert-2", kind: "ntfy", destination: "the URL in $NTFY_URL", events: [...DEFAULT_EVENTS], targets: ["ollama"], enabled: true },
  ];
  return {
    ...s,
    config: {
      ...s.config,
      alerts: [SLACK, NTFY],
      maintenance: [{ name: "nightly", days: ["sat"], from: "01:00", to: "03:00" }],
    },
    channels,
  };
}

async function mount(inApp: boolean, replies: Parameters<typeof fakeBackend>[1] = {}) {
  const fake = fakeBackend(inApp, { getSettings: withChannels(inApp), ...replies });
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  settings(root, ctx(fake.api, new Store()));
  await settle();
  return { fake, root, form: root.querySelector<HTMLFormElement>("#channel-form")! };
}

function fill(form: HTMLFormElement, values: Record<string, string | boolean>) {
  for (const [name, v] of Object.entries(values)) {
    const el = form.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
    if (typeof v === "boolean") el.checked = v;
    else el.value = v;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
}
const tick = (form: HTMLFormElement, name: string, value: string, on: boolean) => {
  form.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`)!.checked = on;
};
const submit = (form: HTMLFormElement) => form.dispatchEvent(new Event("submit", { cancelable: true }));
const button = (root: ParentNode, text: string) => [...root.querySelectorAll("button")].find((b) => b.textContent === text)!;

function form(over: Partial<ChannelForm> = {}): ChannelForm {
  return {
    name: "", kind: "webhook", source: "url", url: "", url_env: "", token_env: "", command: "",
    events: [...DEFAULT_EVENTS], targets: [], enabled: true, ...over,
  };
}

describe("channel form → [[alerts]] entry", () => {
  it("a new channel gets an id from its name; a browser writes the URL, the app keeps it for the keyring", () => {
    const f = form({ name: "Team Slack", kind: "slack", url: " https://hooks.slack.com/services/T/B/x " });
    expect(planChannel(f, null, false, ["team"])).toEqual({
      entry: { id: "team-slack", name: "Team Slack", kind: "slack", url: "https://hooks.slack.com/services/T/B/x" },
      keyringUrl: null,
    });
    expect(planChannel(f, null, true, ["team-slack"])).toEqual({
      entry: { id: "team-slack-2", name: "Team Slack", kind: "slack" },
      keyringUrl: "https://hooks.slack.com/services/T/B/x",
    });
  });

  it("reads the URL from a variable, ntfy's token too; events, targets and off as written", () => {
    const f = form({ kind: "ntfy", source: "env", url_env: "NTFY_URL", token_env: "NTFY_TOKEN", events: ["recovered", "down"], targets: ["ollama"], enabled: false });
    expect(planChannel(f, null, true, [])).toEqual({
      entry: { id: "ntfy", kind: "ntfy", url_env: "NTFY_URL", token_env: "NTFY_TOKEN", events: ["down", "recovered"], targets: ["ollama"], enabled: false },
      keyringUrl: null,
    });
    // A token variable is ntfy's only.
    expect(planChannel({ ...f, kind: "webhook" }, null, false, []).valueOf()).toMatchObject({ entry: { kind: "webhook", url_env: "NTFY_URL" } });
    expect((planChannel({ ...f, kind: "webhook" }, null, false, []) as { entry: AlertFile }).entry.token_env).toBeUndefined();
  });

  it("a command is one argument per line, and takes no URL", () => {
    const f = form({ name: "Pager", kind: "command", command: "/usr/local/bin/on-llm-alert\n  --flag  \n\nwith space", url: "https://ignored" });
    expect(planChannel(f, null, false, [])).toEqual({
      entry: { id: "pager", name: "Pager", kind: "command", command: ["/usr/local/bin/on-llm-alert", "--flag", "with space"] },
      keyringUrl: null,
    });
    expect(planChannel(form({ kind: "command" }), null, false, [])).toBe("Name the program to run, on the first line.");
  });

  it("an edit left without a URL keeps the saved one (masked, the core restores it) or the keyring", () => {
    const kept = planChannel(form({ name: "Team Slack", kind: "slack", events: ["down", "recovered"] }), SLACK, true, []);
    expect(kept).toEqual({ entry: SLACK, keyringUrl: null });
    const inKeyring: AlertFile = { id: "pager", kind: "webhook" };
    expect(planChannel(form({ kind: "webhook" }), inKeyring, false, [])).toEqual({ entry: { id: "pager", kind: "webhook" }, keyringUrl: null });
    // An id-less entry keeps having none, so the core finds it by its place.
    expect(planChannel(form({ kind: "ntfy", source: "env", url_env: "NTFY_URL" }), NTFY, false, [])).toEqual({
      entry: { kind: "ntfy", url_env: "NTFY_URL" }, keyringUrl: null,
    });
    // From a variable to a typed URL, nothing to keep.
    expect(planChannel(form({ kind: "ntfy" }), NTFY, false, [])).toBe("Paste the channel's URL.");
  });

  it("says what is missing", () => {
    expect(planChannel(form(), null, false, [])).toBe("Paste the channel's URL.");
    expect(planChannel(form({ source: "env" }), null, false, [])).toBe("Give the name of the environment variable that holds the URL.");
    expect(planChannel(form({ url: "https://x.example/h", events: [] }), null, false, [])).toBe("Pick at least one event, or turn the channel off.");
  });

  it("slugs are lowercase words, unique", () => {
    expect(slug("Équipe — Ops!", [])).toBe("equipe-ops");
    expect(slug("ops", ["ops", "ops-2"])).toBe("ops-3");
    expect(slug("***", [], "webhook")).toBe("webhook");
  });

  it("never moves an id-less channel whose URL the page holds masked", () => {
    const idless: AlertFile = { kind: "webhook", url: "https://hooks.example/…" };
    expect(withoutChannel([SLACK, idless], 0)).toMatch(/no id/);
    expect(withoutChannel([SLACK, NTFY, idless], 2)).toEqual([SLACK, NTFY]);
    expect(withoutChannel([idless, SLACK, NTFY], 0)).toEqual([SLACK, NTFY]);
  });
});

describe("settings: alert channels", () => {
  it("lists each channel: name, kind, where to (in words), events, targets", async () => {
    const { root } = await mount(false);
    const items = root.querySelectorAll<HTMLLIElement>("#channel-list li[data-channel]");
    expect([...items].map((li) => li.dataset.channel)).toEqual(["team", "alert-2"]);
    expect(items[0].textContent).toContain("Team Slack");
    expect(items[0].textContent).toContain("Slack · team");
    expect(items[0].textContent).toContain("To https://hooks.slack.com/… · down, recovered · every target");
    expect(items[1].textContent).toContain("To the URL in $NTFY_URL · every event but degraded · about Ollama");
  });

  it("sends a test notice and says Sent, or why it was not delivered", async () => {
    const { fake, root } = await mount(false, {
      testAlertChannel: (id: string) => {
        if (id === "alert-2") throw new Error("The test notice was not delivered: ntfy answered 403 Forbidden.");
        return null;
      },
    });
    const team = root.querySelector('li[data-channel="team"]')!;
    button(team, "Send test notice").click();
    expect(team.querySelector(".channel-result")!.textContent).toBe("Sending…");
    await settle();
    expect(fake.api.testAlertChannel).toHaveBeenCalledWith("team");
    expect(team.querySelector<HTMLElement>(".channel-result")!.dataset.result).toBe("sent");
    expect(team.querySelector(".channel-result")!.textContent).toBe("Sent");
    const ntfy = root.querySelector('li[data-channel="alert-2"]')!;
    button(ntfy, "Send test notice").click();
    await settle();
    const result = ntfy.querySelector<HTMLElement>(".channel-result")!;
    expect(result.dataset.result).toBe("error");
    expect(result.textContent).toBe("The test notice was not delivered: ntfy answered 403 Forbidden.");
  });

  it("in a browser, adds a channel with its URL in the config, keeping the rest of the config", async () => {
    const { fake, root, form: f } = await mount(false);
    root.querySelector<HTMLButtonElement>("#add-channel")!.click();
    expect(f.hidden).toBe(false);
    // The defaults: every event but degraded, every target.
    const on = [...f.querySelectorAll<HTMLInputElement>('input[name="events"]:checked')].map((i) => i.value);
    expect(on).toEqual([...DEFAULT_EVENTS]);
    fill(f, { name: "Hook", kind: "webhook", url: "http://127.0.0.1:9000/hook" });
    tick(f, "events", "degraded", true);
    tick(f, "targets", "openai", true);
    submit(f);
    await settle();
    expect(fake.api.setChannelUrl).not.toHaveBeenCalled();
    const [config, notifications, startAtLogin] = fake.api.saveSettings.mock.calls[0];
    expect([notifications, startAtLogin]).toEqual([null, null]);
    const before = withChannels(false).config;
    expect(config).toEqual({
      ...before,
      alerts: [SLACK, NTFY, {
        id: "hook", name: "Hook", kind: "webhook", url: "http://127.0.0.1:9000/hook",
        events: ["down", "recovered", "degraded", "offline", "online", "still_down", "maintenance_summary", "provider_incident", "test"], targets: ["openai"],
      }],
    });
    expect(f.hidden).toBe(true);
    expect(root.querySelector("#channels-message")!.textContent).toBe("Saved Hook.");
    // The typed URL is gone from the page.
    expect(f.querySelector<HTMLInputElement>('[name="url"]')!.value).toBe("");
  });

  it("in the app, saves the entry without its URL, then gives the URL to the keyring", async () => {
    const order: string[] = [];
    const { fake, root, form: f } = await mount(true, {
      saveSettings: () => (order.push("save"), null),
      setChannelUrl: () => (order.push("keyring"), null),
    });
    expect(f.textContent).toContain("kept in the OS keyring");
    root.querySelector<HTMLButtonElement>("#add-channel")!.click();
    fill(f, { name: "Team Slack", kind: "slack", url: "https://hooks.slack.com/services/T/B/secret" });
    submit(f);
    await settle();
    const entry = fake.api.saveSettings.mock.calls[0][0].alerts![2];
    expect(entry).toEqual({ id: "team-slack", name: "Team Slack", kind: "slack" });
    expect(fake.api.setChannelUrl).toHaveBeenCalledWith("team-slack", "https://hooks.slack.com/services/T/B/secret");
    expect(order).toEqual(["save", "keyring"]);
  });

  it("edits a channel without showing its URL; left empty, the saved URL stays", async () => {
    const { fake, root, form: f } = await mount(false);
    root.querySelector<HTMLButtonElement>('button[aria-label="Edit Team Slack"]')!.click();
    const url = f.querySelector<HTMLInputElement>('[name="url"]')!;
    expect(url.value).toBe("");
    expect(url.placeholder).toBe("unchanged (https://hooks.slack.com/…)");
    expect((f.querySelector('[name="kind"]') as HTMLSelectElement).value).toBe("slack");
    expect([...f.querySelectorAll<HTMLInputElement>('input[name="events"]:checked')].map((i) => i.value)).toEqual(["down", "recovered"]);
    fill(f, { name: "Team" });
    submit(f);
    await settle();
    expect(fake.api.saveSettings.mock.calls[0][0].alerts).toEqual([{ ...SLACK, name: "Team" }, NTFY]);
    // An id-less ntfy channel reading its URL from a variable: shown as such.
    root.querySelector<HTMLButtonElement>('button[aria-label="Edit alert-2"]')!.click();
    expect(f.querySelector<HTMLInputElement>('input[name="url_source"][value="env"]')!.checked).toBe(true);
    expect(f.querySelector<HTMLInputElement>('[name="url_env"]')!.value).toBe("NTFY_URL");
    expect(f.querySelector<HTMLInputElement>('[name="token_env"]')!.value).toBe("NTFY_TOKEN");
    expect(f.querySelector<HTMLInputElement>('input[name="targets"][value="ollama"]')!.checked).toBe(true);
    expect(f.querySelector<HTMLElement>('[name="command"]')!.closest("label")!.hidden).toBe(true);
  });

  it("refuses an incomplete form without saving", async () => {
    const { fake, root, form: f } = await mount(false);
    root.querySelector<HTMLButtonElement>("#add-channel")!.click();
    fill(f, { name: "x", kind: "command" });
    submit(f);
    await settle();
    expect(root.querySelector("#channel-error")!.textContent).toBe("Name the program to run, on the first line.");
    expect(fake.api.saveSettings).not.toHaveBeenCalled();
  });

  it("removes a channel on the second press, keeping the others", async () => {
    const { fake, root } = await mount(false);
    const remove = root.querySelector<HTMLButtonElement>('button[aria-label="Remove Team Slack"]')!;
    remove.click();
    expect(fake.api.saveSettings).not.toHaveBeenCalled();
    remove.click();
    await settle();
    expect(fake.api.saveSettings.mock.calls[0][0].alerts).toEqual([NTFY]);
    expect(fake.api.saveSettings.mock.calls[0][0].maintenance).toEqual(withChannels(false).config.maintenance);
  });
});
