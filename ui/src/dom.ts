// A tiny element builder: enough to write views as expressions, nothing to learn.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (k === "class") el.className = String(v);
    else if (k in el && typeof (el as unknown as Record<string, unknown>)[k] === "boolean") {
      (el as unknown as Record<string, unknown>)[k] = Boolean(v);
    } else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag: string, attrs: Record<string, string | number>, ...children: Node[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** Shows a command's failure (or success) in a live region next to what caused it. */
export function report(el: HTMLElement, p: Promise<unknown>, done = ""): Promise<boolean> {
  el.textContent = "";
  el.classList.remove("error");
  return p.then(
    () => ((el.textContent = done), true),
    (err: unknown) => {
      el.textContent = err instanceof Error ? err.message : String(err);
      el.classList.add("error");
      return false;
    },
  );
}

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

/**
 * Runs `replace`, which swaps elements inside `scope` for new ones, then puts the keyboard focus
 * back where it was: on the same focusable (by position) inside the element with the same
 * `data-key`. Live redraws would otherwise throw a keyboard user back to the top of the page.
 */
export function keepingFocus(scope: HTMLElement, replace: () => void): void {
  const active = document.activeElement;
  const holder = active instanceof HTMLElement && scope.contains(active) ? active.closest<HTMLElement>("[data-key]") : null;
  const key = holder && scope.contains(holder) ? holder.dataset.key : undefined;
  const index = holder ? focusables(holder).indexOf(active as HTMLElement) : -1;
  replace();
  if (key === undefined || index < 0 || document.activeElement !== document.body) return;
  const again = [...scope.querySelectorAll<HTMLElement>("[data-key]")].find((e) => e.dataset.key === key);
  if (again) focusables(again)[index]?.focus();
}

/** The element itself (a badge is a link) and the focusable elements inside it, in order. */
function focusables(el: HTMLElement): HTMLElement[] {
  const inside = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)];
  return el.matches(FOCUSABLE) ? [el, ...inside] : inside;
}
