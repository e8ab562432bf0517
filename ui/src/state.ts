// The held snapshot follows the engine by its events (API.md: "the UI applies events to what it
// holds and never re-reads the whole state on a timer"). Pure: every function returns new values
// and leaves its inputs alone.
import { worst } from "./domain";
import type { Incident, MonitorEvent, Snapshot, TargetView } from "./generated/types";

function withTarget(s: Snapshot, id: string, change: (t: TargetView) => TargetView): Snapshot {
  let hit = false;
  const targets = s.targets.map((t) => (t.id === id ? ((hit = true), change(t)) : t));
  if (!hit) return s;
  return { ...s, targets, overall: s.paused ? "unknown" : worst(targets.map((t) => t.status)) };
}

export function applyEvent(s: Snapshot, e: MonitorEvent): Snapshot {
  switch (e.type) {
    case "checked":
      return withTarget(s, e.target, (t) => ({
        ...t,
        last: e.outcome,
        score: e.score,
        checking: false,
        // The engine's own count: it leaves out failures during the grace after a wake-up.
        consecutive_failures: e.consecutive_failures,
        status: e.status,
        // The transition event that follows carries the exact time; until then, this check's.
        since: e.status === t.status ? t.since : e.outcome.at,
      }));
    case "transition":
      return withTarget(s, e.target, (t) => ({ ...t, status: e.to, since: e.at }));
    case "incident":
    case "slept":
      // Neither changes a status: incidents are kept apart (`upsertIncident`), and a sleep is
      // already told by the transitions the engine sends after it.
      return s;
  }
}

/** The same incident (target, started_at) is sent again whole on every change. Newest first. */
export function upsertIncident(list: Incident[], inc: Incident): Incident[] {
  const same = (i: Incident) => i.target === inc.target && i.started_at === inc.started_at;
  const rest = list.filter((i) => !same(i));
  const at = rest.findIndex((i) => Date.parse(i.started_at) < Date.parse(inc.started_at));
  return at < 0 ? [...rest, inc] : [...rest.slice(0, at), inc, ...rest.slice(at)];
}
