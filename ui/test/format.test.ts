// Times in words: durations read the engine's unit table; a span over midnight names both days.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clock, clockRange, durationWords } from "../src/format";
import { DURATION_UNITS } from "../src/generated/tables";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

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

describe("durationWords", () => {
  it("says the largest unit that fits, then the next one as the engine's table says", () => {
    expect(durationWords(12 * S)).toBe("12 s");
    expect(durationWords(4 * MIN + 59 * S)).toBe("4 min");
    expect(durationWords(2 * H)).toBe("2 h");
    expect(durationWords(2 * H + 5 * MIN + 30 * S)).toBe("2 h 5 min");
    expect(durationWords(3 * D + 4 * H + 59 * MIN)).toBe("3 d 4 h");
    expect(durationWords(3 * D)).toBe("3 d 0 h");
  });

  it("changes unit exactly at each unit's size", () => {
    expect(durationWords(59_999)).toBe("59 s");
    expect(durationWords(MIN)).toBe("1 min");
    expect(durationWords(H - 1)).toBe("59 min");
    expect(durationWords(H)).toBe("1 h");
    expect(durationWords(D - 1)).toBe("23 h 59 min");
    expect(durationWords(D)).toBe("1 d 0 h");
    expect(durationWords(400 * D + 23 * H)).toBe("400 d 23 h");
  });

  it("says 0 s for nothing, less than a second, or a negative stretch (a clock moved back)", () => {
    expect(durationWords(0)).toBe("0 s");
    expect(durationWords(999)).toBe("0 s");
    expect(durationWords(-5 * MIN)).toBe("0 s");
  });

  it("reads the generated table: its words, largest first", () => {
    expect(DURATION_UNITS.map((u) => u.word)).toEqual(["d", "h", "min", "s"]);
    for (const u of DURATION_UNITS) expect(durationWords(u.seconds * S)).toMatch(new RegExp(`^1 ${u.word}( |$)`));
  });
});
