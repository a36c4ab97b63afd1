import type { SchedulerLike } from 'rxjs';

/**
 * Where a {@link SessionStore} reads the time and sets its timers: the expiry and
 * proactive-refresh timers, the refresh timeout, and the backoff between retries.
 *
 * The default reads `Date.now()` and uses `setTimeout`, looked up when called (so jest's
 * fake timers apply even when installed after the import), with every timer `unref`'d in
 * Node: a session never keeps a process alive. Inject another to drive time in tests.
 *
 * @example
 * ```ts
 * let now = 0;
 * const timers: { at: number; fn: () => void }[] = [];
 * const clock: Clock = {
 *   now: () => now,
 *   setTimeout: (fn, ms) => timers.push({ at: now + ms, fn }),
 *   clearTimeout: () => {},
 * };
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, the unit of `expiresAt`. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds, and returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer set by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The default clock: `Date.now()`, and unref'd global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms) as unknown as { unref?: () => void };
    // Node: an expiry timer must never keep the process alive.
    if (typeof handle === 'object' && typeof handle.unref === 'function') handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** A clock on an RxJS scheduler, such as a `TestScheduler` or `VirtualTimeScheduler`. */
export function clockFromScheduler(scheduler: SchedulerLike): Clock {
  return {
    now: () => scheduler.now(),
    setTimeout: (fn, ms) => scheduler.schedule(fn, ms),
    clearTimeout: (handle) => (handle as { unsubscribe?: () => void } | undefined)?.unsubscribe?.(),
  };
}

/** Checks that `value` has the shape of a {@link Clock}; a bad one throws a `TypeError` naming the option. */
export function assertClock(value: unknown): asserts value is Clock {
  const clock = value as Partial<Clock> | null;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw new TypeError('`new SessionStore()` option `clock` must have `now()`, `setTimeout()` and `clearTimeout()`');
  }
}
