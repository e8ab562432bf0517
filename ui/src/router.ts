// Hash routes: `#/`, `#/timeline`, `#/incidents`, `#/settings`, `#/target/<id>`. Anything else
// (an access token still in the address, a skip-link anchor) reads as the dashboard.

export type Route =
  | { view: "dashboard" }
  | { view: "timeline" }
  | { view: "incidents" }
  | { view: "settings" }
  | { view: "target"; id: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").split("&").filter((p) => !p.startsWith("token=")).join("&");
  const [, first, ...rest] = path.split("/");
  switch (first) {
    case "timeline":
    case "incidents":
    case "settings":
      return { view: first };
    case "target":
      if (rest.length && rest[0]) return { view: "target", id: decodeURIComponent(rest.join("/")) };
  }
  return { view: "dashboard" };
}

export function href(r: Route): string {
  return r.view === "dashboard" ? "#/" : r.view === "target" ? `#/target/${encodeURIComponent(r.id)}` : `#/${r.view}`;
}

/** The app's tray says where to open: "settings", "target/<id>", "onboarding". */
export function fromAppRoute(route: string | null): Route | null {
  if (!route) return null;
  if (route === "onboarding") return { view: "dashboard" };
  return parseRoute(`#/${route}`);
}

export function navigate(r: Route): void {
  if (location.hash !== href(r)) location.hash = href(r);
}
