// What every page is given, and what it gives back to main.ts.
import type { Backend } from "../api";
import type { Change, Store } from "../store";

export interface Ctx {
  api: Backend;
  store: Store;
  /** Runs a command whose only answer is success or a sentence for the page's message line. */
  run(p: Promise<unknown>): void;
}

export interface View {
  /** The held state changed (a live event, a new StateView). */
  update?(c: Change): void;
  /** Once a second while the page is visible. */
  tick?(now: number): void;
  destroy?(): void;
}
