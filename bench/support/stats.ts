/** Small statistics and measuring helpers shared by the scenarios. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = defined(sorted[mid], 'median');
  return sorted.length % 2 === 1 ? upper : (defined(sorted[mid - 1], 'median') + upper) / 2;
}

/** `value`, or a thrown error naming `what` when it is missing (an index out of range, a key not set). */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new RangeError(`bench: ${what} is missing`);
  return value;
}

/** Runs a full GC (the bench runs with `--expose-gc`; without it this does nothing). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** Wall and CPU time of one measured stretch, in ns per operation. */
export interface Sample {
  wall: number;
  cpu: number;
}

/** Measures `run`, which performs `ops` operations, as wall and process CPU ns per operation. */
export async function measure(ops: number, run: () => Promise<void> | void): Promise<Sample> {
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { wall: wall / ops, cpu: ((cpu.user + cpu.system) * 1000) / ops };
}

/**
 * Runs every variant once per round, in a rotating order (so that no variant always runs
 * first after a GC), after `warmup` untimed rounds. Returns each variant's samples.
 */
export async function interleave<K extends string>(
  variants: Record<K, () => Promise<Sample>>,
  rounds: number,
  warmup = 1,
): Promise<Record<K, Sample[]>> {
  const names = Object.keys(variants) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<K, Sample[]>;
  for (let round = -warmup; round < rounds; round++) {
    const shift = Math.max(round, 0) % names.length;
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    for (const name of order) {
      const sample = await variants[name]();
      if (round >= 0) out[name].push(sample);
    }
  }
  return out;
}

/** The median of per-round ratios a[i] / b[i]. */
export function ratioOfRounds(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`bench: ${a.length} rounds against ${b.length}`);
  return median(a.map((x, i) => x / defined(b[i], 'round')));
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
