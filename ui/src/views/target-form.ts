// Adding or editing one target: the form is the TargetFile, field for field (`name=` is the
// key), so what is sent is what the TOML file would say. "Test connection" probes the form's
// values once without saving anything.
import type { Backend } from "../api";
import { h, report } from "../dom";
import { CLASS_WORDS, defaultsFor, KINDS, PRESETS } from "../domain";
import { ms } from "../format";
import type { Kind, Preset, ProbeLevel, TargetFile, TimingFile } from "../generated/types";
import { probeDetails } from "./details";
import { statusLabel } from "./status";

const TEXT_KEYS = ["id", "name", "base_url", "model", "api_key_env", "api_version", "interval", "timeout", "backoff_max", "confirm_interval"] as const satisfies readonly (keyof TargetFile)[];
const NUMBER_KEYS = ["slow_ms", "failure_threshold", "success_threshold", "degraded_after"] as const satisfies readonly (keyof TargetFile)[];

/** Every probe level the engine knows, in words (a new one fails `tsc` until it is named here). */
const PROBE_WORDS: Record<ProbeLevel, string> = {
  reachable: "Reachable: version or model list, no tokens",
  inference: "Inference: a 1-token canary (costs tokens on cloud APIs)",
};

function field(label: string, input: HTMLElement, hint?: string): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", null, label), input, hint ? h("small", null, hint) : null);
}

const text = (name: string, attrs: Record<string, string | boolean> = {}) =>
  h("input", { type: "text", name, autocomplete: "off", spellcheck: "false", ...attrs });
const num = (name: string) => h("input", { type: "number", name, min: "0", step: "1" });

/** The TargetFile the form says: empty fields are left out, so the engine's defaults apply. */
export function formToTarget(form: HTMLFormElement): TargetFile {
  const value = (k: string) => (form.elements.namedItem(k) as HTMLInputElement | null)?.value.trim() ?? "";
  const kind = value("kind") as Kind;
  const t: TargetFile = { id: value("id"), kind };
  const put = t as unknown as Record<string, unknown>;
  for (const k of TEXT_KEYS) if (value(k)) put[k] = value(k);
  for (const k of NUMBER_KEYS) if (value(k)) put[k] = Number(value(k));
  if (kind === "openai_compatible" && value("preset")) t.preset = value("preset") as Preset;
  if (t.preset !== "azure") delete t.api_version;
  t.probe = value("probe") as ProbeLevel;
  t.enabled = (form.elements.namedItem("enabled") as HTMLInputElement).checked;
  return t;
}

export interface TargetForm {
  form: HTMLFormElement;
  edit(t: TargetFile | null): void;
}

export function targetForm(api: Backend, defaults: () => TimingFile, onSaved: (id: string) => void): TargetForm {
  const kind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k.kind }, k.label)));
  const preset = h(
    "select",
    { name: "preset" },
    h("option", { value: "" }, "none (give a base URL)"),
    PRESETS.map((p) => h("option", { value: p.preset }, p.label)),
  );
  const probe = h(
    "select",
    { name: "probe" },
    Object.entries(PROBE_WORDS).map(([value, words]) => h("option", { value }, words)),
  );
  const key = h("input", { type: "password", name: "api_key", autocomplete: "off" });
  const presetField = field("Preset", preset);
  const versionField = field("API version", text("api_version"), "Azure only");
  const keyHint = h("small");
  const error = h("p", { id: "target-error", role: "alert", class: "error" });
  const result = h("div", { id: "test-result", role: "status" });
  const title = h("h3", { id: "target-form-title" });
  const timing: Record<keyof TimingFile, HTMLInputElement> = {
    interval: text("interval"),
    timeout: text("timeout"),
    slow_ms: num("slow_ms"),
    failure_threshold: num("failure_threshold"),
    success_threshold: num("success_threshold"),
    backoff_max: text("backoff_max"),
    confirm_interval: text("confirm_interval"),
    degraded_after: num("degraded_after"),
  };
  const test = h("button", { type: "button", id: "test-connection" }, "Test connection");
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h(
    "form",
    { id: "target-form", hidden: true, "aria-labelledby": "target-form-title", novalidate: true },
    title,
    h("div", { class: "grid" },
      field("Kind", kind),
      presetField,
      field("Id", text("id", { required: true, pattern: "\\S+" }), "unique; used in URLs and the key store"),
      field("Name", text("name")),
      field("Base URL", text("base_url")),
      field("Model", text("model"), "the model an inference probe asks"),
      field("Probe", probe),
      field("Key variable", text("api_key_env"), "the environment variable's name, never the key"),
      versionField,
      h("label", { class: "field check" }, h("input", { type: "checkbox", name: "enabled", checked: true }), " Watched"),
    ),
    h("fieldset", null, h("legend", null, "Timing (empty: the engine defaults)"),
      h("div", { class: "grid" },
        field("Interval", timing.interval),
        field("Timeout", timing.timeout),
        field("Slow above (ms)", timing.slow_ms),
        field("Failures before unhealthy", timing.failure_threshold),
        field("Successes before healthy", timing.success_threshold),
        field("Longest backoff", timing.backoff_max),
        field("Confirm a failure after", timing.confirm_interval),
        field("Degraded checks before an incident", timing.degraded_after),
      ),
    ),
    h("label", { class: "field" }, h("span", null, "API key"), key, keyHint),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save target"), " ", test, " ", cancel),
    error,
    result,
  );

  // Placeholders show what an empty field means, and follow kind and preset.
  function hints() {
    const t = formToTarget(form);
    const d = defaultsFor(t);
    presetField.hidden = t.kind !== "openai_compatible";
    versionField.hidden = t.preset !== "azure";
    (form.elements.namedItem("base_url") as HTMLInputElement).placeholder = d.baseUrl ?? "required";
    (form.elements.namedItem("api_key_env") as HTMLInputElement).placeholder = d.keyEnv ?? "no key needed";
    const env = t.api_key_env ?? d.keyEnv;
    keyHint.textContent = api.inApp
      ? "Saved to the OS keyring with the target; leave empty to keep the current key."
      : env
        ? `Used only for Test connection. The server reads the key from ${env} when it starts.`
        : "This kind needs no key.";
    const def = defaults();
    for (const [k, input] of Object.entries(timing)) {
      input.placeholder = String(def[k as keyof TimingFile] ?? "");
    }
  }
  kind.addEventListener("change", hints);
  preset.addEventListener("change", hints);
  form.addEventListener("input", (e) => {
    if ((e.target as HTMLInputElement).name === "api_key_env") hints();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const t = formToTarget(form);
    if (!t.id) {
      error.textContent = "Give the target an id.";
      return;
    }
    const typed = key.value;
    const save = api.upsertTarget(t).then(() => (typed && api.inApp ? api.setApiKey(t.id, typed) : undefined));
    void report(error, save).then((ok) => {
      if (!ok) return;
      key.value = "";
      form.hidden = true;
      onSaved(t.id);
    });
  });

  test.addEventListener("click", () => {
    result.replaceChildren("Testing…");
    api.testTarget(formToTarget(form), key.value || null).then(
      (r) => {
        const o = r.outcome;
        result.dataset.status = r.status;
        const said = [`${o.class === "ok" ? "working" : CLASS_WORDS[o.class]} (${o.class})`, ms(o.latency_ms), o.message];
        result.replaceChildren(
          h("p", null, statusLabel(r.status), ` · ${said.filter(Boolean).join(" · ")}`),
          probeDetails(o.details) ?? "",
        );
      },
      (err: Error) => {
        delete result.dataset.status;
        result.replaceChildren(h("span", { class: "error" }, err.message));
      },
    );
  });

  cancel.addEventListener("click", () => {
    key.value = "";
    form.hidden = true;
  });

  return {
    form,
    edit(t) {
      form.reset();
      error.textContent = "";
      result.replaceChildren();
      title.textContent = t ? `Edit ${t.name ?? t.id}` : "Add a target";
      const set = (k: string, v: unknown) => {
        const el = form.elements.namedItem(k) as HTMLInputElement;
        if (el.type === "checkbox") el.checked = v !== false;
        else el.value = v === undefined || v === null ? "" : String(v);
      };
      const values: Record<string, unknown> = { kind: "ollama", probe: "reachable", enabled: true, ...(t ?? {}) };
      for (const k of ["kind", "preset", "probe", "enabled", ...TEXT_KEYS, ...NUMBER_KEYS]) set(k, values[k]);
      // Changing the id of a saved target would add a second one.
      (form.elements.namedItem("id") as HTMLInputElement).readOnly = t !== null;
      form.hidden = false;
      hints();
      (form.elements.namedItem(t ? "name" : "kind") as HTMLElement).focus();
    },
  };
}
