import type { Clock } from '../../lib';

/** A clock whose time moves only when a test says so. */
export interface VirtualClock extends Clock {
  /** Timers not yet fired nor cleared. */
  pending(): number;
  /** Moves time forward by `ms`, firing due timers in order and letting promises settle after each. */
  advance(ms: number): Promise<void>;
  /** Jumps the wall clock without firing timers: a machine that slept. */
  jump(ms: number): void;
}

/** Lets every promise callback that is ready run (a few macrotask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function virtualClock(start = Date.UTC(2030, 0, 1)): VirtualClock {
  let now = start;
  let nextId = 0;
  // `elapsed` runs on timer time only (like a monotonic clock that stops while asleep).
  let elapsed = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++nextId;
      timers.set(id, { due: elapsed + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    pending: () => timers.size,
    jump(ms) {
      now += ms;
    },
    async advance(ms) {
      const end = elapsed + ms;
      await settle();
      for (;;) {
        let next: [number, { due: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].due <= end && (next === undefined || entry[1].due < next[1].due)) next = entry;
        if (next === undefined) break;
        timers.delete(next[0]);
        now += next[1].due - elapsed;
        elapsed = next[1].due;
        next[1].fn();
        await settle();
      }
      now += end - elapsed;
      elapsed = end;
      await settle();
    },
  };
}
