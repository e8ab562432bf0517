// What the page holds: the backend's StateView, kept current by events, and the dashboard's
// 24-hour history. Views subscribe to changes instead of reading the backend themselves.
import { applyCheck, applyTransition } from "./series";
import { applyEvent, upsertIncident } from "./state";
import { beatOf } from "./context";
import { BEATS } from "./reads";
import type { Beat, HistoryView, Incident, MonitorEvent, RecentChecks, StateView, TimelineView } from "./generated/types";


export type TargetEvent = Extract<MonitorEvent, { type: "checked" | "transition" }>;

export type Change =
  | { kind: "state" } // everything may have changed
  | { kind: "target"; id: string; event: TargetEvent } // one target's status, last outcome or history
  | { kind: "incident"; incident: Incident };

/** A history follows its own target's checks and transitions. */
export function applyTargetEvent(h: HistoryView, e: TargetEvent): HistoryView {
  if (h.target !== e.target) return h;
  return e.type === "checked" ? applyCheck(h, e) : applyTransition(h, e);
}

export class Store {
  state: StateView | null = null;
  series: TimelineView | null = null;
  /** Each target's last checks, oldest first: read once, then followed by live checks. */
  beats = new Map<string, Beat[]>();
  /** Checks that came by event since the last read: the next read may not hold them yet. */
  private liveBeats = new Map<string, Beat[]>();
  private subs = new Set<(c: Change) => void>();

  subscribe(f: (c: Change) => void): () => void {
    this.subs.add(f);
    return () => this.subs.delete(f);
  }

  /** While held, changes are not told one by one: the release tells one "state" for them all. */
  private held = false;
  private changedWhileHeld = false;

  private emit(c: Change) {
    if (this.held) {
      this.changedWhileHeld = true;
      return;
    }
    this.subs.forEach((f) => f(c));
  }

  /** Holds the changes back until `done` settles, or `maxMs` at most. */
  holdUntil(done: Promise<unknown>, maxMs: number) {
    this.held = true;
    const timer = setTimeout(() => this.release(), maxMs);
    void done.then(() => {
      clearTimeout(timer);
      this.release();
    });
  }

  private release() {
    if (!this.held) return;
    this.held = false;
    if (this.changedWhileHeld) this.emit({ kind: "state" });
    this.changedWhileHeld = false;
  }

  setState(s: StateView) {
    this.state = s;
    this.emit({ kind: "state" });
  }

  setSeries(t: TimelineView) {
    this.series = t;
    this.emit({ kind: "state" });
  }

  /**
   * The history's last checks. Live checks newer than the history's last one stay: the history
   * is written in batches, so a check can arrive by event before it is read back.
   */
  setBeats(r: RecentChecks) {
    const beats = new Map<string, Beat[]>();
    for (const [id, read] of Object.entries(r)) {
      const lastRead = read.length ? Date.parse(read[read.length - 1].at) : -Infinity;
      const live = (this.liveBeats.get(id) ?? []).filter((b) => Date.parse(b.at) > lastRead);
      beats.set(id, [...read, ...live].slice(-BEATS));
    }
    this.beats = beats;
    this.liveBeats.clear();
    this.emit({ kind: "state" });
  }

  history(id: string): HistoryView | undefined {
    return this.series?.targets.find((t) => t.target === id);
  }

  apply(e: MonitorEvent) {
    if (this.state) this.state = { ...this.state, snapshot: applyEvent(this.state.snapshot, e) };
    if (e.type === "checked") {
      const beat = beatOf(e.outcome, e.status);
      this.beats.set(e.target, [...(this.beats.get(e.target) ?? []), beat].slice(-BEATS));
      this.liveBeats.set(e.target, [...(this.liveBeats.get(e.target) ?? []), beat].slice(-BEATS));
    }
    if (e.type === "checked" || e.type === "transition") {
      if (this.series) {
        const series = this.series;
        this.series = { ...series, targets: series.targets.map((h) => applyTargetEvent(h, e)) };
      }
      this.emit({ kind: "target", id: e.target, event: e });
    } else if (e.type === "incident") {
      const { type: _, ...incident } = e;
      if (this.series) {
        const series = this.series;
        this.series = {
          ...series,
          targets: series.targets.map((h) =>
            h.target === incident.target ? { ...h, incidents: upsertIncident(h.incidents, incident) } : h,
          ),
        };
      }
      this.emit({ kind: "incident", incident });
    }
  }
}

/** How often, at most, the dashboard's 24-hour history is read again while checks come in. */
export const SERIES_REFRESH_MS = 60_000;

/**
 * When to read the 24-hour history again. Live checks keep its sparklines moving, but the
 * range's percentiles need every sample, which only the backend has: so it is read again once a
 * minute while checks arrive (never while a read is under way, never when nothing was checked).
 */
export class SeriesRefresh {
  private loadedAt = -Infinity;
  private loading = false;
  private checkedSince = false;

  started(now: number) {
    this.loadedAt = now;
    this.loading = true;
    this.checkedSince = false;
  }

  finished() {
    this.loading = false;
  }

  checked() {
    this.checkedSince = true;
  }

  due(now: number): boolean {
    return !this.loading && this.checkedSince && now - this.loadedAt >= SERIES_REFRESH_MS;
  }
}
