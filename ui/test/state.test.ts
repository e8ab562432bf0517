import { describe, expect, it } from "vitest";
import { applyEvent, upsertIncident } from "../src/state";
import type { MonitorEvent } from "../src/generated/types";
import { incident, iso, NOW, outcome, stateView, target } from "./fixtures";

const snap = () => stateView([target("ollama"), target("openai", "healthy", { kind: "openai" })]).snapshot;

describe("applyEvent", () => {
  it("a check sets the last outcome, score and failure count", () => {
    const e: MonitorEvent = {
      type: "checked", target: "openai", status: "healthy", score: 0.75, consecutive_failures: 1,
      outcome: outcome({ at: iso(NOW), class: "timeout", latency_ms: 10_000, message: "timed out" }),
    };
    const before = snap();
    const after = applyEvent(before, e);
    const t = after.targets[1];
    expect(t.last?.class).toBe("timeout");
    expect(t.score).toBe(0.75);
    expect(t.consecutive_failures).toBe(1);
    expect(t.since).toBe(before.targets[1].since);
    // Pure: the input is untouched.
    expect(before.targets[1].last?.class).toBe("ok");
    expect(after.targets[0]).toBe(before.targets[0]);
  });

  it("a check that changes the status moves since and the overall status", () => {
    const at = iso(NOW);
    const after = applyEvent(snap(), {
      type: "checked", target: "ollama", status: "unhealthy", score: 0.2, consecutive_failures: 2,
      outcome: outcome({ at, class: "connect", latency_ms: 3, message: "connection refused" }),
    });
    expect(after.targets[0].status).toBe("unhealthy");
    expect(after.targets[0].since).toBe(at);
    expect(after.overall).toBe("unhealthy");
  });

  it("an ok check resets consecutive failures", () => {
    const s = snap();
    s.targets[0] = { ...s.targets[0], consecutive_failures: 3 };
    const after = applyEvent(s, { type: "checked", target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome() });
    expect(after.targets[0].consecutive_failures).toBe(0);
  });

  it("takes the failure count from the engine: a hard failure in the wake grace does not count", () => {
    // Just after the machine woke up the network may not be back yet; the engine does not count
    // such failures, and the event says so. The row shows the engine's number, not its own.
    const s = snap();
    const e: MonitorEvent = {
      type: "checked", target: "openai", status: "healthy", score: 1, consecutive_failures: 0,
      outcome: outcome({ at: iso(NOW), class: "connect", http_status: null, latency_ms: 4, message: "network unreachable" }),
    };
    const after = applyEvent(s, e);
    expect(after.targets[1].last?.class).toBe("connect");
    expect(after.targets[1].consecutive_failures).toBe(0);
    // And a count the engine carries on is taken as it is, not incremented from the row's.
    const later = applyEvent({ ...after, targets: [after.targets[0], { ...after.targets[1], consecutive_failures: 5 }] },
      { ...e, consecutive_failures: 2 });
    expect(later.targets[1].consecutive_failures).toBe(2);
  });

  it("a transition sets status and since", () => {
    const at = iso(NOW - 5000);
    const after = applyEvent(snap(), {
      type: "transition", target: "openai", at, from: "healthy", to: "degraded", class: "slow", reason: "slow",
    });
    expect(after.targets[1].status).toBe("degraded");
    expect(after.targets[1].since).toBe(at);
    expect(after.overall).toBe("degraded");
  });

  it("paused snapshots stay unknown overall", () => {
    const s = { ...snap(), paused: true, overall: "unknown" as const };
    const after = applyEvent(s, {
      type: "transition", target: "openai", at: iso(NOW), from: "healthy", to: "unhealthy", class: "auth", reason: "401",
    });
    expect(after.overall).toBe("unknown");
    expect(after.targets[1].status).toBe("unhealthy");
  });

  it("events for unknown targets, incidents and sleeps leave the snapshot as it is", () => {
    const s = snap();
    expect(applyEvent(s, { type: "transition", target: "nope", at: iso(NOW), from: "healthy", to: "unhealthy", class: "auth", reason: "" })).toBe(s);
    expect(applyEvent(s, { type: "incident", ...incident("ollama", 5, null) })).toBe(s);
    expect(applyEvent(s, { type: "slept", from: iso(NOW - 60_000), to: iso(NOW) })).toBe(s);
  });
});

describe("upsertIncident", () => {
  it("replaces the same incident and keeps newest first", () => {
    const a = incident("ollama", 60, 10);
    const b = incident("openai", 30, null);
    let list = upsertIncident([], a);
    list = upsertIncident(list, b);
    expect(list.map((i) => i.target)).toEqual(["openai", "ollama"]);
    const closed = { ...b, ended_at: iso(NOW), duration_ms: 30 * 60_000 };
    list = upsertIncident(list, closed);
    expect(list).toHaveLength(2);
    expect(list[0].duration_ms).toBe(1_800_000);
    const older = incident("groq", 120, 5);
    expect(upsertIncident(list, older).map((i) => i.target)).toEqual(["openai", "ollama", "groq"]);
  });
});
