// The page: wires the backend, the held state and the views together. Reads the state once, then follows
// events; the one-second tick runs only while someone can see the page.
import { canRun, type Backend } from "./api";
import { tickAgo } from "./format";
import { fromAppRoute, navigate, parseRoute, type Route } from "./router";
import { BEATS, firstReads, SERIES, type FirstReads } from "./reads";
import { SeriesRefresh, Store } from "./store";
import { dashboard } from "./views/dashboard";
import { onboarding } from "./views/onboarding";
import { renderSummary } from "./views/summary";
import type { Ctx, View } from "./views/view";
import { incidents } from "./views/incidents";
import { settings } from "./views/settings";
import { targetReport } from "./views/target";
import { timelinePage } from "./views/timeline";

const VIEWS: Record<Route["view"], (root: HTMLElement, ctx: Ctx, r: Route) => View> = {
  dashboard,
  timeline: timelinePage,
  incidents,
  settings,
  target: (root, ctx, r) => targetReport(root, ctx, r.view === "target" ? r.id : ""),
};

/** How long the page waits for the history before it draws the rows without it. */
const FIRST_READS_WAIT_MS = 300;

const byId = (id: string) => document.getElementById(id) as HTMLElement;

export function start(api: Backend, first: FirstReads = firstReads(api)): void {
  const store = new Store();
  const root = byId("view");
  const message = byId("app-message");
  const run = (p: Promise<unknown>) =>
    p.then(
      () => (message.textContent = ""),
      (err: Error) => (message.textContent = err.message),
    );
  const ctx: Ctx = { api, store, run };
  let view: View | null = null;
  let current = "";
  let ticker: number | undefined;
  const series = new SeriesRefresh();
  const offers = onboarding(byId("onboarding"), ctx);

  /** Shows the route's view; false when it is already shown. */
  function show(r: Route): boolean {
    const key = JSON.stringify(r);
    if (key === current) return false;
    current = key;
    view?.destroy?.();
    document.querySelectorAll<HTMLAnchorElement>("nav a").forEach((a) => {
      if (a.dataset.view === r.view) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    view = VIEWS[r.view](root, ctx, r);
    return true;
  }

  /** A history that cannot be written (full disk, file replaced) stays said until it is fixed. */
  function historyProblem(problem: string | null) {
    const el = byId("history-problem");
    el.hidden = problem === null;
    el.textContent = problem === null ? "" : `History: ${problem}`;
  }

  function header() {
    if (store.state) renderSummary(byId("summary"), byId("badges"), store.state, Date.now());
  }

  function tick() {
    const now = Date.now();
    tickAgo(document.body, now);
    view?.tick?.(now);
    if (series.due(now)) loadSeries();
  }

  function visible(yes: boolean) {
    if (ticker !== undefined) window.clearInterval(ticker);
    ticker = yes ? window.setInterval(tick, 1000) : undefined;
    if (yes) tick();
  }

  function loadSeries(read = api.timeline(SERIES)): Promise<unknown> {
    series.started(Date.now());
    return read
      .then(
        (t) => store.setSeries(t),
        (err: Error) => (message.textContent = `Could not read the history: ${err.message}`),
      )
      .finally(() => series.finished());
  }

  /** The heartbeat strips' last checks: on start, and after events may have been missed. */
  function loadBeats(read = api.recentChecks(null, BEATS)): Promise<unknown> {
    return read.then(
      (r) => store.setBeats(r),
      (err: Error) => (message.textContent = `Could not read the last checks: ${err.message}`),
    );
  }

  store.subscribe((c) => {
    if (c.kind === "target" && c.event.type === "checked") series.checked();
    if (c.kind !== "incident") header();
    if (c.kind === "state") {
      offers.update(store.state);
      historyProblem(store.state?.history_problem ?? null);
    }
    view?.update?.(c);
  });

  api.onState((s) => store.setState(s));
  api.onMonitor((e) => store.apply(e));
  let wasLive = false;
  let seenLive = false;
  api.onConnection((c) => {
    const conn = byId("conn");
    conn.dataset.state = c;
    conn.textContent = c === "live" ? "● Live" : "○ Reconnecting…";
    conn.title = c === "live" ? "Live updates connected" : "Live updates lost; reconnecting";
    // Events missed while away: the server resends the state; the history is read again once.
    if (c === "live" && !wasLive && seenLive) (loadSeries(), loadBeats());
    wasLive = c === "live";
    seenLive ||= wasLive;
  });
  api.onVisibility((yes, route) => {
    // The app's window reads its history whenever it is shown; read first, so the tick that
    // `visible` runs finds the read under way instead of starting a second one.
    if (yes && api.inApp) (loadSeries(), loadBeats());
    visible(yes);
    const to = fromAppRoute(route);
    if (to) navigate(to);
  });

  byId("check-now").addEventListener("click", () => run(api.checkNow(null)));
  byId("skip").addEventListener("click", (e) => {
    e.preventDefault();
    byId("main").focus();
  });
  // Ctrl+W closes the app's window to the tray, as it closes a window in most desktop apps.
  if (canRun(api, "hide_window")) {
    window.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "w") {
        e.preventDefault();
        run(api.hideWindow());
      }
    });
  }
  window.addEventListener("hashchange", () => {
    // A page of its own, as after a real navigation: the keyboard starts at its content, and the
    // badge or link that led here lets go of its focus (and of a tooltip over the new page).
    if (show(parseRoute(location.hash))) byId("main").focus({ preventScroll: true });
  });

  const route = parseRoute(location.hash);
  show(route);
  // On the dashboard the first reads land as one change, so it is drawn once with all of them
  // instead of three times (the rows, then their sparklines, then their heartbeat strips; each a
  // whole dashboard of 50 rows); a slow history holds the rows back no longer than
  // FIRST_READS_WAIT_MS. Another page needs only the state, for the header: it is not held up
  // (nor is the page's layout moved under the pointer once the reads are in).
  const firstState = first.state.then(
    (s) => store.setState(s),
    (err: Error) => (message.textContent = `Could not reach the monitor: ${err.message}`),
  );
  const reads = Promise.allSettled([firstState, loadSeries(first.series), loadBeats(first.beats)]);
  if (route.view === "dashboard") store.holdUntil(reads, FIRST_READS_WAIT_MS);
  visible(document.visibilityState === "visible");
}

