// A status as people read it: shape, word and sign together, never color alone.
import { h } from "../dom";
import { STATUS } from "../domain";
import type { Status } from "../generated/types";

export function statusLabel(s: Status, enabled = true): HTMLSpanElement {
  const { shape, sign, word } = STATUS[s];
  return h(
    "span",
    { class: `status ${s}${enabled ? "" : " disabled"}` },
    h("span", { class: "shape", "aria-hidden": "true" }, shape),
    ` ${word}${enabled ? "" : " (not watched)"} `,
    h("span", { class: "sign", "aria-hidden": "true" }, sign),
  );
}
