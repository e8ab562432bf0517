// One target's full report: status, stats for the chosen range, its timeline, what the last
// probe learned, and its incidents.
import { h, keepingFocus } from "../dom";
import { clock, durationWords, ms, pct } from "../format";
import type { HistoryView } from "../generated/types";
import { targetDetails } from "./details";
import { incidentItem } from "./incidents";
import { statusLabel } from "./status";
import { timelineChart } from "./timeline";
import type { Ctx, View } from "./view";

function stats(hv: HistoryView): HTMLDListElement {
  const item = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
  return h(
    "dl",
    { class: "stats", id: "target-stats" },
    item("Uptime", pct(hv.uptime_pct, 2)),
    item("Checks", String(hv.checks)),
    item("Failures", String(hv.failures)),
    item("Error rate", hv.error_rate === null ? "—" : pct(hv.error_rate * 100, 2)),
    item("p50", ms(hv.p50_ms)),
    item("p90", ms(hv.p90_ms)),
    item("p99", ms(hv.p99_ms)),
  );
}

export function targetReport(root: HTMLElement, ctx: Ctx, id: string): View {
  const { api, store } = ctx;
  const head = h("div", { class: "report-head" });
  const statsBox = h("div", { class: "stats-box" });
  const details = h("div");
  const incidentList = h("ul", { class: "incidents", id: "target-incidents" });
  const chartHost = h("section", { "aria-label": "Timeline" });
  root.replaceChildren(
    head,
    h("h3", null, "Over the range"),
    statsBox,
    chartHost,
    h("h3", null, "Last check"),
    details,
    h("h3", null, "Incidents in the range"),
    incidentList,
  );

  function drawHead() {
    const t = store.state?.snapshot.targets.find((x) => x.id === id);
    if (!t) {
      head.replaceChildren(h("h2", null, id), h("p", null, store.state ? "No such target." : "Loading…"));
      details.replaceChildren();
      return;
    }
    const now = Date.now();
    const check = h("button", { type: "button" }, "Check now");
    check.addEventListener("click", () => ctx.run(api.checkNow(id)));
    keepingFocus(head, () =>
      head.replaceChildren(
        h("h2", null, t.name, " ", h("small", null, t.kind)),
        h("p", { class: "report-status", "data-status": t.status, "data-key": "status" }, statusLabel(t.status, t.enabled),
          t.since ? ` since ${clock(t.since)} (${durationWords(now - Date.parse(t.since))})` : "", " ", check),
      ),
    );
    details.replaceChildren(targetDetails(t, now));
  }

  const chart = timelineChart(chartHost, {
    id: "timeline",
    rowHeight: 140,
    target: id,
    // A history names no maintenance windows (the timeline page draws them), but what the
    // provider's status page reported meanwhile is read beside it. A finer read of part of the
    // range (zooming) needs only the latency, not the bands.
    load: (args) =>
      Promise.all([
        api.history(id, args),
        args.range ? api.providerIncidents({ target: id, range: args.range }) : Promise.resolve([]),
      ]).then(([hv, provider_incidents]) => ({ from: hv.from, to: hv.to, targets: [hv], maintenance: [], provider_incidents })),
    onLoad: (l) => {
      const hv = l.targets[0];
      statsBox.replaceChildren(stats(hv));
      const now = Date.now();
      incidentList.replaceChildren(...hv.incidents.map((i) => incidentItem(i, hv.name, now)));
      if (!hv.incidents.length) incidentList.append(h("li", { class: "empty" }, "None."));
    },
  });
  drawHead();
  return {
    update(c) {
      chart.update?.(c);
      if (c.kind === "state" || (c.kind === "target" && c.id === id)) drawHead();
    },
    destroy: chart.destroy,
  };
}
