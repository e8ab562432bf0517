// The header: one sentence on the whole (how many healthy, which are not and since when), and a
// strip of badges, one per target, each opening that target's report.
import { h, keepingFocus } from "../dom";
import { STATUS } from "../domain";
import { clock, durationWords } from "../format";
import { href, navigate } from "../router";
import type { StateView, TargetView } from "../generated/types";

export function summaryText(s: StateView, now: number): string {
  if (s.snapshot.paused) return "Monitoring is paused.";
  const watched = s.snapshot.targets.filter((t) => t.enabled);
  if (!watched.length) return "No endpoints are watched yet.";
  const healthy = watched.filter((t) => t.status === "healthy").length;
  const notHealthy = watched.filter((t) => t.status !== "healthy");
  const head = healthy === watched.length ? `All ${healthy} healthy.` : `${healthy} of ${watched.length} healthy.`;
  const rest = notHealthy.map(
    (t) => `${t.name} ${STATUS[t.status].word}${t.since ? ` since ${clock(t.since)} (${durationWords(now - Date.parse(t.since))})` : ""}`,
  );
  const paused = s.notifications_paused_until ? ` Notifications paused until ${clock(s.notifications_paused_until)}.` : "";
  return rest.length ? `${head} ${rest.join("; ")}.${paused}` : `${head}${paused}`;
}

function badge(t: TargetView, now: number): HTMLAnchorElement {
  const { shape, word } = STATUS[t.status];
  const tipId = `tip-${t.id.replace(/[^\w-]/g, "_")}`;
  const since = t.since ? `since ${clock(t.since)} (${durationWords(now - Date.parse(t.since))})` : "not known yet";
  const a = h(
    "a",
    {
      href: href({ view: "target", id: t.id }),
      class: `badge ${t.status}`,
      "data-status": t.status,
      "data-key": t.id,
      "aria-label": `${t.name}: ${word}`,
      "aria-describedby": tipId,
      role: "listitem",
    },
    h("span", { "aria-hidden": "true" }, shape),
    h(
      "span",
      { class: "tip", role: "tooltip", id: tipId },
      h("strong", null, t.name),
      h("span", null, `${shape} ${word} ${since}`),
      t.last ? h("span", null, t.last.message) : h("span", null, "not checked yet"),
    ),
  );
  a.dataset.target = t.id;
  // A link already opens on Enter in a browser; handling it here makes the key do exactly what
  // a click does everywhere (WebKitGTK included).
  a.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    navigate({ view: "target", id: t.id });
  });
  return a;
}

export function renderSummary(summary: HTMLElement, badges: HTMLElement, s: StateView, now: number): void {
  summary.textContent = summaryText(s, now);
  summary.dataset.overall = s.snapshot.overall;
  keepingFocus(badges, () =>
    badges.replaceChildren(...s.snapshot.targets.filter((t) => t.enabled).map((t) => badge(t, now))),
  );
}
