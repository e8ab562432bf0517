import { createBackend } from "./api";
import { firstReads } from "./reads";

// The reads go out before the rest of the page's code has loaded (a chunk of its own).
const api = createBackend();
const first = firstReads(api);
void import("./app").then(({ start }) => start(api, first));
