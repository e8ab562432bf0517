// Times in words: a span over midnight names both days.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clock, clockRange } from "../src/format";

const at = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo - 1, d, h, mi).getTime();
const withDate = (t: number) =>
  new Date(t).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

beforeEach(() => vi.useFakeTimers({ now: at(2026, 12, 1, 11, 8), toFake: ["Date"] }));
afterEach(() => vi.useRealTimers());

describe("clockRange", () => {
  it("names both days of a span over midnight, even when it ends today at the same minute", () => {
    const from = at(2026, 11, 30, 11, 8);
    const to = at(2026, 12, 1, 11, 8);
    expect(clockRange(from, to)).toBe(`${withDate(from)} – ${withDate(to)}`);
    expect(clockRange(from, to)).not.toBe(`${clock(from)} – ${clock(to)}`);
  });

  it("names a day once when the span stays inside it", () => {
    const from = at(2026, 12, 1, 10, 8);
    const to = at(2026, 12, 1, 11, 8);
    expect(clockRange(from, to)).toBe(`${clock(from)} – ${clock(to)}`);
    expect(clockRange(from, to)).not.toContain(withDate(from));
  });
});
