import { describe, expect, it } from "vitest";
import { Store } from "../src/store";
import { settings } from "../src/views/settings";
import type { TestResult } from "../src/generated/types";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { outcome, settingsView, stateView } from "./fixtures";

async function mount(inApp: boolean, replies: Parameters<typeof fakeBackend>[1] = {}) {
  const fake = fakeBackend(inApp, { getSettings: settingsView(inApp), ...replies });
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  settings(root, ctx(fake.api, new Store()));
  await settle();
  return { fake, root };
}

function fill(form: HTMLFormElement, values: Record<string, string | boolean>) {
  for (const [name, v] of Object.entries(values)) {
    const el = form.elements.namedItem(name) as HTMLInputElement;
    if (typeof v === "boolean") el.checked = v;
    else el.value = v;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

const submit = (form: HTMLFormElement) => form.dispatchEvent(new Event("submit", { cancelable: true }));

describe("settings: targets", () => {
  it("turns the form into the TargetFile it sends", async () => {
    const { fake, root } = await mount(false);
    root.querySelector<HTMLButtonElement>("#add-target")!.click();
    const form = root.querySelector<HTMLFormElement>("#target-form")!;
    expect(form.hidden).toBe(false);
    fill(form, {
      kind: "openai_compatible", preset: "groq", id: "groq-fast", name: "Groq fast", model: "llama-3.1-8b-instant",
      probe: "inference", interval: "1m", failure_threshold: "3", enabled: false,
    });
    // What an empty field means follows kind and preset.
    expect((form.elements.namedItem("base_url") as HTMLInputElement).placeholder).toBe("https://api.groq.com/openai/v1");
    expect((form.elements.namedItem("api_key_env") as HTMLInputElement).placeholder).toBe("GROQ_API_KEY");
    submit(form);
    await settle();
    expect(fake.api.upsertTarget).toHaveBeenCalledWith({
      id: "groq-fast", kind: "openai_compatible", preset: "groq", name: "Groq fast", model: "llama-3.1-8b-instant",
      probe: "inference", interval: "1m", failure_threshold: 3, enabled: false,
    });
    expect(form.hidden).toBe(true);
    expect(fake.api.getSettings).toHaveBeenCalledTimes(2);
  });

  it("edits a target with its saved values and keeps its id", async () => {
    const { fake, root } = await mount(false);
    root.querySelector<HTMLButtonElement>('li[data-target="ollama"] button[aria-label="Edit Ollama"]')!.click();
    const form = root.querySelector<HTMLFormElement>("#target-form")!;
    expect((form.elements.namedItem("id") as HTMLInputElement).readOnly).toBe(true);
    fill(form, { timeout: "5s" });
    submit(form);
    await settle();
    expect(fake.api.upsertTarget).toHaveBeenCalledWith({
      id: "ollama", kind: "ollama", name: "Ollama", base_url: "http://127.0.0.1:11434", timeout: "5s", probe: "reachable", enabled: true,
    });
  });

  it("shows the backend's validation error next to the form", async () => {
    const { root } = await mount(false, {
      upsertTarget: new Error("<config>:0: targets[3].base_url: \"ftp://x\" must start with http:// or https://"),
    });
    root.querySelector<HTMLButtonElement>("#add-target")!.click();
    const form = root.querySelector<HTMLFormElement>("#target-form")!;
    fill(form, { id: "x", base_url: "ftp://x" });
    submit(form);
    await settle();
    const error = root.querySelector("#target-error")!;
    expect(error.textContent).toBe("<config>:0: targets[3].base_url: \"ftp://x\" must start with http:// or https://");
    expect(form.hidden).toBe(false);
  });

  it("tests the connection with the form's values and the typed key", async () => {
    const result: TestResult = {
      status: "unhealthy",
      outcome: outcome({ class: "auth", http_status: 401, latency_ms: 87, message: "401 invalid api key" }),
    };
    const { fake, root } = await mount(false, { testTarget: result });
    root.querySelector<HTMLButtonElement>("#add-target")!.click();
    const form = root.querySelector<HTMLFormElement>("#target-form")!;
    fill(form, { kind: "openai", id: "oa", api_key: "sk-test-123" });
    root.querySelector<HTMLButtonElement>("#test-connection")!.click();
    await settle();
    expect(fake.api.testTarget).toHaveBeenCalledWith({ id: "oa", kind: "openai", probe: "reachable", enabled: true }, "sk-test-123");
    expect(fake.api.upsertTarget).not.toHaveBeenCalled();
    const shown = root.querySelector<HTMLElement>("#test-result")!;
    expect(shown.dataset.status).toBe("unhealthy");
    expect(shown.textContent).toBe("■ unhealthy × · API key rejected (auth) · 87 ms · 401 invalid api key");
  });

  it("shows what a working connection found, and no empty message", async () => {
    const result: TestResult = {
      status: "healthy",
      outcome: outcome({ class: "ok", latency_ms: 12, message: "", details: { server_version: "0.12.6", models: ["llama3.2:3b", "qwen2.5:7b"] } }),
    };
    const { root } = await mount(false, { testTarget: result });
    root.querySelector<HTMLButtonElement>("#add-target")!.click();
    fill(root.querySelector<HTMLFormElement>("#target-form")!, { kind: "ollama", id: "lab" });
    root.querySelector<HTMLButtonElement>("#test-connection")!.click();
    await settle();
    const shown = root.querySelector<HTMLElement>("#test-result")!;
    expect(shown.querySelector("p")!.textContent).toBe("● healthy ✓ · working (ok) · 12 ms");
    expect(shown.querySelector("dl")!.textContent).toBe("Server version0.12.6Models (2)llama3.2:3b, qwen2.5:7b");
  });

  it("removes a target only on the second press", async () => {
    const { fake, root } = await mount(false);
    const remove = root.querySelector<HTMLButtonElement>('li[data-target="groq"] button[aria-label^="Remove"]')!;
    remove.click();
    expect(fake.api.removeTarget).not.toHaveBeenCalled();
    expect(remove.textContent).toBe("Press again to remove");
    remove.click();
    expect(fake.api.removeTarget).toHaveBeenCalledWith("groq");
  });
});

describe("settings: keys", () => {
  it("in the app, saves a key to the keyring and clears the field", async () => {
    const { fake, root } = await mount(true);
    expect(root.querySelector('li[data-target="ollama"] input[type=password]')).toBeNull();
    const li = root.querySelector('li[data-target="openai"]')!;
    expect(li.textContent).toContain("Key in the OS keyring.");
    expect(root.querySelector('li[data-target="groq"]')!.textContent).toContain("No key yet.");
    const input = li.querySelector<HTMLInputElement>("input[type=password]")!;
    input.value = "sk-rotated-42";
    [...li.querySelectorAll("button")].find((b) => b.textContent === "Save key")!.click();
    expect(fake.api.setApiKey).toHaveBeenCalledWith("openai", "sk-rotated-42");
    expect(input.value).toBe("");
  });

  it("in a browser, names the environment variable the server reads instead", async () => {
    const { root } = await mount(false);
    expect(root.querySelectorAll("#target-settings input[type=password]")).toHaveLength(0);
    expect(root.querySelector('li[data-target="openai"]')!.textContent).toContain("Key read from OPENAI_API_KEY by the server.");
    expect(root.querySelector('li[data-target="groq"]')!.textContent).toContain("No key: set MY_GROQ_KEY in the environment of llm-health serve");
    expect(root.querySelector('li[data-target="ollama"] .key')).toBeNull();
  });

  it("in the app, saving a new target with a typed key also stores the key", async () => {
    const { fake, root } = await mount(true);
    root.querySelector<HTMLButtonElement>("#add-target")!.click();
    const form = root.querySelector<HTMLFormElement>("#target-form")!;
    fill(form, { kind: "anthropic", id: "claude", api_key: "sk-ant-1" });
    submit(form);
    await settle();
    expect(fake.api.setApiKey).toHaveBeenCalledWith("claude", "sk-ant-1");
    expect((form.elements.namedItem("api_key") as HTMLInputElement).value).toBe("");
  });
});

describe("settings: general and TOML", () => {
  it("saves engine defaults, notifications and start at login in the app", async () => {
    const { fake, root } = await mount(true);
    const form = root.querySelector<HTMLFormElement>("#general-form")!;
    const incidents = form.elements.namedItem("notify.on_provider_incident") as HTMLInputElement;
    expect(incidents.checked).toBe(false);
    expect(incidents.closest("label")!.textContent).toContain("status page reports an incident");
    fill(form, { "defaults.interval": "45s", "defaults.failure_threshold": "4", "notify.on_degraded": true, "notify.on_provider_incident": true, "notify.quiet": true,
      "notify.quiet_start": "23:00", "notify.quiet_end": "06:30", start_at_login: true });
    submit(form);
    await settle();
    const [config, notifications, startAtLogin] = fake.api.saveSettings.mock.calls[0];
    expect(config.defaults).toEqual({ interval: "45s", timeout: "10s", failure_threshold: 4 });
    expect(config.targets).toHaveLength(3);
    expect(notifications).toMatchObject({ on_degraded: true, on_provider_incident: true, on_down: true, quiet_hours: { start: "23:00:00", end: "06:30:00" }, muted: ["groq"] });
    expect(startAtLogin).toBe(true);
  });

  it("has no notifications or start at login in a browser", async () => {
    const { fake, root } = await mount(false);
    const form = root.querySelector<HTMLFormElement>("#general-form")!;
    expect(form.elements.namedItem("notify.enabled")).toBeNull();
    expect(form.elements.namedItem("start_at_login")).toBeNull();
    submit(form);
    await settle();
    expect(fake.api.saveSettings.mock.calls[0].slice(1)).toEqual([null, null]);
  });

  it("imports TOML and shows an error that names line and key", async () => {
    const { fake, root } = await mount(false, { importToml: new Error("imported config:3: targets[0].kind: unknown variant `olama`") });
    (root.querySelector("#toml") as HTMLTextAreaElement).value = "[[targets]]\nid = \"a\"\nkind = \"olama\"";
    root.querySelector<HTMLButtonElement>("#toml-import")!.click();
    await settle();
    expect(fake.api.importToml).toHaveBeenCalledWith("[[targets]]\nid = \"a\"\nkind = \"olama\"");
    expect(root.querySelector("#toml-message")!.textContent).toBe("imported config:3: targets[0].kind: unknown variant `olama`");
  });

  it("exports the engine's TOML into the text area", async () => {
    const { root } = await mount(false, { exportToml: "[[targets]]\nid = \"ollama\"\n" });
    root.querySelector<HTMLButtonElement>("#toml-export")!.click();
    await settle();
    expect((root.querySelector("#toml") as HTMLTextAreaElement).value).toBe("[[targets]]\nid = \"ollama\"\n");
  });
});

describe("settings: about", () => {
  it("shows the version, the configuration's source and the profile folder, and follows the state", async () => {
    const fake = fakeBackend(true, { getSettings: settingsView(true) });
    const store = new Store();
    store.setState(stateView([]));
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const view = settings(root, ctx(fake.api, store));
    await settle();
    const about = root.querySelector("#about")!;
    expect(about.textContent).toContain("0.1.0 (commit 1a2b3c4, built 2026-12-02)");
    expect(about.textContent).toContain("settings.json");
    expect(about.textContent).toContain("/tmp/llm-health");
    store.setState({ ...stateView([]), config_source: "/home/u/.config/llm-health/settings.json" });
    view.update?.({ kind: "state" });
    expect(about.textContent).toContain("/home/u/.config/llm-health/settings.json");
  });
});
