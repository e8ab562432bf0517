// A Backend for view tests: every command a spy with a canned reply, every event stream a
// function the test calls.
import { vi } from "vitest";
import type { Backend, Connection } from "../src/api";
import type { Store } from "../src/store";
import type { MonitorEvent, StateView } from "../src/generated/types";
import type { Ctx } from "../src/views/view";

type Listeners = {
  monitor: ((e: MonitorEvent) => void)[];
  state: ((s: StateView) => void)[];
  visibility: ((v: boolean, route: string | null) => void)[];
  connection: ((c: Connection) => void)[];
};

/** The Backend's commands: the methods that answer once. */
type Command = Exclude<keyof Backend, "inApp" | "onMonitor" | "onState" | "onVisibility" | "onConnection">;
type Answer<M extends Command> = Awaited<ReturnType<Backend[M]>>;
/**
 * A canned reply, shaped as the generated types say: the answer itself, an error to throw, or a
 * function of the call's arguments giving the answer.
 */
export type Replies = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [M in Command]?: Answer<M> | Error | ((...args: any[]) => Answer<M>);
};

export function fakeBackend(inApp: boolean, replies: Replies = {}) {
  const on: Listeners = { monitor: [], state: [], visibility: [], connection: [] };
  const reply = (name: Command, fallback: unknown = null) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    vi.fn(async (..._args: any[]): Promise<any> => {
      const r = name in replies ? replies[name] : fallback;
      if (r instanceof Error) throw r;
      return typeof r === "function" ? (r as (...a: unknown[]) => unknown)(..._args) : r;
    });
  const api = {
    inApp,
    getState: reply("getState"),
    checkNow: reply("checkNow"),
    getSettings: reply("getSettings"),
    saveSettings: reply("saveSettings"),
    upsertTarget: reply("upsertTarget"),
    removeTarget: reply("removeTarget"),
    setTargetEnabled: reply("setTargetEnabled"),
    importToml: reply("importToml"),
    exportToml: reply("exportToml", ""),
    answerOffers: reply("answerOffers"),
    testTarget: reply("testTarget"),
    history: reply("history"),
    timeline: reply("timeline"),
    incidents: reply("incidents", []),
    providerIncidents: reply("providerIncidents", []),
    recentChecks: reply("recentChecks", {}),
    setMuted: reply("setMuted"),
    setApiKey: reply("setApiKey"),
    deleteApiKey: reply("deleteApiKey"),
    setChannelUrl: reply("setChannelUrl"),
    testAlertChannel: reply("testAlertChannel"),
    snoozeTarget: reply("snoozeTarget"),
    hideWindow: reply("hideWindow"),
    onMonitor: (f: (e: MonitorEvent) => void) => (on.monitor.push(f), () => {}),
    onState: (f: (s: StateView) => void) => (on.state.push(f), () => {}),
    onVisibility: (f: (v: boolean, r: string | null) => void) => (on.visibility.push(f), () => {}),
    onConnection: (f: (c: Connection) => void) => (on.connection.push(f), () => {}),
  } satisfies Backend;
  return {
    api,
    emit: (e: MonitorEvent) => on.monitor.forEach((f) => f(e)),
    pushState: (s: StateView) => on.state.forEach((f) => f(s)),
    visible: (v: boolean, route: string | null = null) => on.visibility.forEach((f) => f(v, route)),
    connect: (c: Connection) => on.connection.forEach((f) => f(c)),
  };
}

/** What a view is given; a command's failure is the test's to check, not shown anywhere. */
export function ctx(api: Backend, store: Store): Ctx {
  return { api, store, run: (p) => void p.catch(() => {}) };
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
