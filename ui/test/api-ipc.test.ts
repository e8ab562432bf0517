// The app's transport against a stand-in for Tauri's IPC, and the typed command call: every
// command's name, arguments and reply are the generated `Commands`, so a slip fails `tsc`.
import { describe, expect, it, vi } from "vitest";
import { createBackend, type Call } from "../src/api";
import { COMMANDS } from "../src/generated/commands";
import type { Incident, Incidents, StateView } from "../src/generated/types";

function fakeIpc(reply: (name: string, args: unknown) => unknown = () => null) {
  const calls: [string, unknown][] = [];
  vi.stubGlobal("__TAURI_INTERNALS__", {
    invoke: async (name: string, args: unknown) => {
      calls.push([name, args]);
      return reply(name, args);
    },
  });
  return calls;
}

describe("IPC transport", () => {
  it("invokes each command by its name with its arguments, as before", async () => {
    const calls = fakeIpc((name) => (name === "export_toml" ? "x = 1" : null));
    const api = createBackend();
    expect(api.inApp).toBe(true);
    await api.getState();
    await api.checkNow(null);
    await api.history("ollama", { range: "7d" });
    await api.incidents({ target: null, range: "30d" });
    await api.saveSettings({ targets: [] }, null, true);
    await api.testTarget({ id: "o", kind: "ollama" }, null);
    expect(await api.exportToml()).toBe("x = 1");
    expect(calls).toEqual([
      ["get_state", {}],
      ["check_now", { target: null }],
      ["history", { target: "ollama", range: "7d" }],
      ["incidents", { target: null, range: "30d" }],
      ["save_settings", { config: { targets: [] }, notifications: null, startAtLogin: true }],
      ["test_target", { target: { id: "o", kind: "ollama" }, apiKey: null }],
      ["export_toml", {}],
    ]);
    // Every name sent is one the Rust side declares.
    const names = new Set<string>(COMMANDS.map((c) => c.name));
    expect(calls.filter(([n]) => !names.has(n))).toEqual([]);
  });

  it("turns a command's refusal (a string over IPC) into an Error with its sentence", async () => {
    fakeIpc(() => Promise.reject("imported config:3: targets[0].kind: unknown variant `olama`"));
    const err = await createBackend().importToml("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("imported config:3: targets[0].kind: unknown variant `olama`");
  });
});

describe("the typed call", () => {
  it("refuses a misspelt name, a wrong argument shape or a wrong reply (tsc checks the ts-expect-errors)", async () => {
    const sent: string[] = [];
    const call: Call = async (name) => (sent.push(name), null as never);
    const state: Promise<StateView> = call("get_state", {});
    const list: Promise<Incidents> = call("incidents", { range: "7d" });
    // @ts-expect-error: there is no `get_stat`
    void call("get_stat", {});
    // @ts-expect-error: `check_now` takes `{ target }`
    void call("check_now", { id: "ollama" });
    // @ts-expect-error: `set_target_enabled` needs `enabled`
    void call("set_target_enabled", { id: "ollama" });
    // @ts-expect-error: a command without arguments takes none
    void call("get_state", { target: "ollama" });
    // @ts-expect-error: not a range the engine knows
    void call("timeline", { range: "2d" });
    // @ts-expect-error: `incidents` answers a list, not one incident
    const one: Promise<Incident> = call("incidents", {});
    await Promise.all([state, list, one]);
    expect(sent).toEqual(["get_state", "incidents", "get_stat", "check_now", "set_target_enabled", "get_state", "timeline", "incidents"]);
  });
});
