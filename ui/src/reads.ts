// What the page reads from the backend besides events: the state, the dashboard's 24-hour
// history and the heartbeat strips' last checks. The first reads start from `main.ts` as soon as
// the backend exists, while the views' code is still loading, so the page waits for the slower
// of the two instead of for both one after the other.
import type { Backend } from "./api";
import type { RangeArgs, RecentChecks, StateView, TimelineView } from "./generated/types";

/** How many checks a row's heartbeat strip shows. */
export const BEATS = 30;

/** The dashboard's history: the last 24 hours in 48 buckets (a sparkline point per half hour). */
export const SERIES: RangeArgs = { range: "24h", buckets: 48 };

export type FirstReads = {
  state: Promise<StateView>;
  series: Promise<TimelineView>;
  beats: Promise<RecentChecks>;
};

export function firstReads(api: Backend): FirstReads {
  return { state: api.getState(), series: api.timeline(SERIES), beats: api.recentChecks(null, BEATS) };
}
