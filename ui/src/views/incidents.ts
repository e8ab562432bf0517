// Past incidents, newest first, with their cause in plain words; filtered by target.
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

export function incidents(root: HTMLElement, { api, store }: Ctx): View {
  let items: Incident[] = [];
  const filter = h("select", { id: "incident-filter", name: "target" });
  const list = h("ul", { id: "incidents-list", class: "incidents" });
  const status = h("p", { role: "status" }, "Loading…");
  root.replaceChildren(
    h("h2", null, "Incidents"),
    h("p", null, "The last 30 days: stretches when an endpoint was not healthy."),
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
    const shown = filter.value ? items.filter((i) => i.target === filter.value) : items;
    keepingFocus(list, () => list.replaceChildren(...shown.map((i) => incidentItem(i, name(i.target), now))));
    status.textContent = shown.length ? `${shown.length} incident${shown.length === 1 ? "" : "s"}` : "No incidents.";
  }

  function load() {
    const target = filter.value || null;
    api.incidents({ target, range: "30d" }).then(
      (list) => {
        if ((filter.value || null) !== target) return; // the filter moved on meanwhile
        items = list;
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
      }
    },
  };
}
