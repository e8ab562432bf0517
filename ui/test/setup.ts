// jsdom has no canvas. The timeline draws through a 2D context that records what it was asked
// to do, so tests can count what was drawn without pixels.
export interface FakeContext {
  calls: { name: string; args: unknown[] }[];
  [key: string]: unknown;
}

function fakeContext(canvas: HTMLCanvasElement): FakeContext {
  const calls: FakeContext["calls"] = [];
  const state: Record<string | symbol, unknown> = { canvas, calls };
  return new Proxy(state, {
    get(target, name) {
      if (name in target) return target[name];
      if (name === "createPattern") return () => ({ pattern: true });
      if (name === "measureText") return (s: string) => ({ width: s.length * 6 });
      return (...args: unknown[]) => void calls.push({ name: String(name), args });
    },
    set(target, name, value) {
      target[name] = value;
      return true;
    },
  }) as unknown as FakeContext;
}

const contexts = new WeakMap<HTMLCanvasElement, FakeContext>();

HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement) {
  if (!contexts.has(this)) contexts.set(this, fakeContext(this));
  return contexts.get(this);
} as unknown as HTMLCanvasElement["getContext"];
