// Past incidents, newest first, with their cause in plain words; filtered by target. What the
// providers' status pages reported is interleaved, one entry per incident however many targets
// saw it, and marked as theirs: context, not our verdict.
import { bandHeadline, followProviderBands, providerBands, type ProviderBand } from "../context";
import { h, keepingFocus } from "../dom";
import { CLASS_WORDS } from "../domain";
import { clock, durationWords } from "../format";
import { href } from "../router";
import { upsertIncident } from "../state";
import type { Incident } from "../generated/types";
import { statusLabel } from "./status";
import type { Ctx, View } from "./view";

export function incidentItem(i: Incident, name: string, now: number): HTMLLIElement {
  const duration =
    i.duration_ms !== null ? durationWords(i.duration_ms) : `ongoing, ${durationWords(now - Date.parse(i.started_at))} so far`;
  const li = h(
    "li",
    { class: `incident ${i.worst}`, "data-ongoing": String(i.ended_at === null), "data-key": `${i.target} ${i.started_at}` },
    statusLabel(i.worst),
    " ",
    h("a", { href: href({ view: "target", id: i.target }) }, name),
    ": ",
    h("strong", null, CLASS_WORDS[i.cause]),
    h("span", { class: "muted" }, ` (${i.message})`),
    h("br"),
    h("time", { datetime: i.started_at }, `from ${clock(i.started_at)}`),
    ` · ${duration}`,
  );
  li.dataset.target = i.target;
  return li;
}

/** "OpenAI reports: Elevated error rates — investigating" · OpenAI, Azure · from 14:02 · ongoing. */
export function providerItem(b: ProviderBand, names: (id: string) => string, now: number): HTMLLIElement {
  const ongoing = !Number.isFinite(b.end);
  const duration = ongoing ? `ongoing, ${durationWords(now - b.start)} so far` : durationWords(b.end - b.start);
  const headline = bandHeadline(b);
  return h(
    "li",
    { class: "incident provider", "data-ongoing": String(ongoing), "data-key": `provider ${b.key} ${b.start}` },
    h("span", { class: "provider-mark", "aria-hidden": "true" }, "◇ "),
    b.url ? h("a", { href: b.url, target: "_blank", rel: "noopener noreferrer" }, headline) : h("strong", null, headline),
    h("span", { class: "muted" }, ` (${[b.impact ? `${b.impact} impact` : null, b.targets.map(names).join(", ")].filter(Boolean).join("; ")})`),
    h("br"),
    h("time", { datetime: new Date(b.start).toISOString() }, `from ${clock(b.start)}`),
    ` · ${duration}`,
  );
}

export function incidents(root: HTMLElement, { api, store }: Ctx): View {
  let items: Incident[] = [];
  let reported: ProviderBand[] = [];
  const filter = h("select", { id: "incident-filter", name: "target" });
  const list = h("ul", { id: "incidents-list", class: "incidents" });
  const status = h("p", { role: "status" }, "Loading…");
  root.replaceChildren(
    h("h2", null, "Incidents"),
    h("p", null, "The last 30 days: stretches when an endpoint was not healthy, and what providers' status pages reported (◇)."),
    h("label", null, "Target ", filter),
    status,
    list,
  );

  const name = (id: string) => store.state?.snapshot.targets.find((t) => t.id === id)?.name ?? id;

  function fillFilter() {
    const chosen = filter.value;
    const targets = store.state?.snapshot.targets ?? [];
    filter.replaceChildren(
      h("option", { value: "" }, "All targets"),
      ...targets.map((t) => h("option", { value: t.id }, t.name)),
    );
    filter.value = targets.some((t) => t.id === chosen) ? chosen : "";
  }

  function draw() {
    const now = Date.now();
    const ours = filter.value ? items.filter((i) => i.target === filter.value) : items;
    const theirs = filter.value ? reported.filter((b) => b.targets.includes(filter.value)) : reported;
    const entries = [
      ...ours.map((i) => ({ at: Date.parse(i.started_at), li: () => incidentItem(i, name(i.target), now) })),
      ...theirs.map((b) => ({ at: b.start, li: () => providerItem(b, name, now) })),
    ].sort((a, b) => b.at - a.at);
    keepingFocus(list, () => list.replaceChildren(...entries.map((e) => e.li())));
    const counts = [
      ours.length ? `${ours.length} incident${ours.length === 1 ? "" : "s"}` : "",
      theirs.length ? `${theirs.length} reported by providers` : "",
    ].filter(Boolean);
    status.textContent = counts.length ? counts.join(", ") : "No incidents.";
  }

  function load() {
    const target = filter.value || null;
    Promise.all([api.incidents({ target, range: "30d" }), api.providerIncidents({ target, range: "30d" })]).then(
      ([list, spans]) => {
        if ((filter.value || null) !== target) return; // the filter moved on meanwhile
        items = list;
        reported = providerBands(spans);
        draw();
      },
      (err: Error) => (status.textContent = err.message),
    );
  }

  filter.addEventListener("change", load);
  fillFilter();
  load();
  return {
    update(c) {
      if (c.kind === "state") {
        fillFilter();
        draw();
      } else if (c.kind === "incident") {
        items = upsertIncident(items, c.incident);
        draw();
      } else if (c.event.type === "checked" && c.event.outcome.details.provider_status) {
        const followed = followProviderBands(reported, c.id, c.event.outcome);
        if (followed !== reported) {
          reported = followed;
          draw();
        }
      }
    },
  };
}
