/** Helpers of the fetch scenarios (8 and 9). */
import type { FetchFunction } from '../../lib/index';
import { defined, type Sample } from './stats';

/**
 * A `fetch` stand-in that never answers: each call stays pending until its `init.signal`
 * aborts, then rejects with the signal's reason, as an aborted `fetch` does. It isolates
 * what the binding costs from what undici would cost for the same aborts. `arrived()`
 * counts the calls, so that a round can wait until every request has reached it.
 */
export function holdingFetch(): { fetch: FetchFunction; arrived: () => number } {
  let arrived = 0;
  const fetch: FetchFunction = (_input, init) =>
    new Promise<Response>((_resolve, reject) => {
      arrived++;
      const signal = init?.signal;
      if (signal == null) return; // never settles: a request nobody can cancel
      if (signal.aborted) reject(signal.reason as unknown);
      else signal.addEventListener('abort', () => reject(signal.reason as unknown));
    });
  return { fetch, arrived: () => arrived };
}

/** The `q`-quantile (0…1) of `values`, linearly interpolated between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const low = defined(sorted[lo], 'quantile');
  return low + (defined(sorted[hi], 'quantile') - low) * (at - lo);
}

/** How per-round ratios spread: min, quartiles, max. */
export interface Spread {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  return {
    min: quantile(values, 0),
    q1: quantile(values, 0.25),
    median: quantile(values, 0.5),
    q3: quantile(values, 0.75),
    max: quantile(values, 1),
  };
}

/** Per-round ratios a[i] / b[i]. */
export function perRoundRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`bench: ${a.length} rounds against ${b.length}`);
  return a.map((x, i) => x / defined(b[i], 'round'));
}

/** `Spread` rounded for results.json. */
export function roundSpread(s: Spread, digits = 4): Spread {
  const f = 10 ** digits;
  const r = (x: number): number => Math.round(x * f) / f;
  return { min: r(s.min), q1: r(s.q1), median: r(s.median), q3: r(s.q3), max: r(s.max) };
}

/** `IQR 1.010–1.030, min–max 0.98–1.06` */
export function fmtSpread(s: Spread): string {
  return `IQR ${s.q1.toFixed(3)}–${s.q3.toFixed(3)}, min–max ${s.min.toFixed(3)}–${s.max.toFixed(3)}`;
}

/**
 * `measure` without its full GC first: `run` performs `ops` operations, as wall and process
 * CPU ns per operation. For short rounds of fetches: a forced GC before each 300-request
 * round doubled undici's CPU per request in the next round (about 160–250 µs → 350–450 µs
 * here), and swamped the difference under test. GCs then come when allocation brings them,
 * and each variant pays for its own allocation.
 */
export async function measureNoGc(ops: number, run: () => Promise<void>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { wall: wall / ops, cpu: ((cpu.user + cpu.system) * 1000) / ops };
}

/**
 * With `--diagnose`, scenario 8 also times plain `fetch` plus one ingredient of what
 * `createFetch` does per request, each ÷ plain, to attribute the binding's cost:
 * - `plainSignal`: a fresh `AbortController`'s signal in the init;
 * - `plainHeaders`: the headers as a `Headers` object rather than a plain object;
 * - `plainNewURL`: the URL resolved with `new URL(path, baseURL)`;
 * - `plainTie`: the response registered in a `FinalizationRegistry` and given six own
 *   reading methods (what tying its body to the session does).
 */
export function fetchProbes(
  origin: string,
  path: string,
  headers: Record<string, string>,
): Record<'plainSignal' | 'plainHeaders' | 'plainNewURL' | 'plainTie', () => Promise<Response>> {
  const url = `${origin}/${path}`;
  const registry = new FinalizationRegistry<object>(() => undefined);
  const readers: PropertyDescriptorMap = Object.fromEntries(
    ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text'].map((name) => [
      name,
      {
        configurable: true,
        writable: true,
        value: function read(this: Response): Promise<unknown> {
          const native = (Object.getPrototypeOf(this) as Record<string, (this: Response) => Promise<unknown>>)[name];
          return defined(native, name).call(this);
        },
      },
    ]),
  );
  return {
    plainSignal: () => fetch(url, { headers, signal: new AbortController().signal }),
    plainHeaders: () => fetch(url, { headers: new Headers(headers) }),
    plainNewURL: () => fetch(new URL(path, `${origin}/`).href, { headers }),
    plainTie: async () => {
      const res = await fetch(url, { headers });
      registry.register(res, {}, res);
      Object.defineProperties(res, readers);
      return res;
    },
  };
}
