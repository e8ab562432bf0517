import { describe, expect, it } from "vitest";
import { fromAppRoute, href, parseRoute } from "../src/router";

describe("router", () => {
  it("reads every route", () => {
    expect(parseRoute("")).toEqual({ view: "dashboard" });
    expect(parseRoute("#/")).toEqual({ view: "dashboard" });
    expect(parseRoute("#/timeline")).toEqual({ view: "timeline" });
    expect(parseRoute("#/incidents")).toEqual({ view: "incidents" });
    expect(parseRoute("#/settings")).toEqual({ view: "settings" });
    expect(parseRoute("#/target/local%20ollama")).toEqual({ view: "target", id: "local ollama" });
    expect(href({ view: "target", id: "local ollama" })).toBe("#/target/local%20ollama");
  });

  it("ignores an access token and stray anchors", () => {
    expect(parseRoute("#token=abc123")).toEqual({ view: "dashboard" });
    expect(parseRoute("#/settings&token=abc123")).toEqual({ view: "settings" });
    expect(parseRoute("#main")).toEqual({ view: "dashboard" });
  });

  it("maps the app's window routes", () => {
    expect(fromAppRoute("settings")).toEqual({ view: "settings" });
    expect(fromAppRoute("target/ollama")).toEqual({ view: "target", id: "ollama" });
    expect(fromAppRoute("onboarding")).toEqual({ view: "dashboard" });
    expect(fromAppRoute(null)).toBeNull();
  });
});
