// First run: the endpoints found on this machine, offered (found ones pre-checked), added only
// when the user says so.
import { h, report } from "../dom";
import type { Offer, StateView } from "../generated/types";
import type { Ctx } from "./view";

export function onboarding(section: HTMLElement, { api }: Ctx): { update(s: StateView | null): void } {
  let shown: Offer[] | null = null;
  const list = h("ul", { id: "offers" });
  const result = h("p", { role: "status" });
  const answer = (picked: Offer[], done: string) =>
    void report(result, api.answerOffers(picked.map((o) => o.target)), done);
  const add = h("button", { type: "button", id: "offers-add" }, "Add selected");
  add.addEventListener("click", () => {
    const boxes = [...list.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
    const picked = (shown ?? []).filter((_, i) => boxes[i]?.checked);
    answer(picked, `Added ${picked.length}.`);
  });
  const skip = h("button", { type: "button", id: "offers-skip" }, "Not now");
  skip.addEventListener("click", () => answer([], "Nothing added."));
  section.replaceChildren(
    h("h2", { id: "onboarding-title" }, "Endpoints found on this machine"),
    h("p", null, "Pick the ones to watch. Nothing is added until you say so."),
    list,
    h("div", { class: "buttons" }, add, " ", skip),
    result,
  );

  return {
    update(s) {
      const offers = s?.offers ?? null;
      section.hidden = !offers;
      // Redrawing would undo the user's ticks; only a different offer list is drawn anew.
      if (!offers || JSON.stringify(offers) === JSON.stringify(shown)) return;
      shown = offers;
      list.replaceChildren(
        ...offers.map((o, i) =>
          h(
            "li",
            null,
            h(
              "label",
              null,
              h("input", { type: "checkbox", checked: o.found, "data-index": i }),
              ` ${o.target.name ?? o.target.id} — ${o.note}`,
            ),
          ),
        ),
      );
    },
  };
}
