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
    const handle = setTimeout(fn, ms) as unknown as { unref?: () => void } | undefined;
    // Node: an expiry timer must never keep the process alive (a browser's handle is a number).
    if (typeof handle?.unref === 'function') handle.unref();
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

/**
 * One timer on a clock, set again as plans change. A fire after it was cleared or set again
 * does nothing: with a clock that cannot cancel (a `clearTimeout` that does nothing, as an
 * app's own clock may have), a replaced plan must not run.
 *
 * @internal
 */
export interface Timer {
  /** Calls `fn` after `ms` milliseconds, in place of what was set before. */
  set(fn: () => void, ms: number): void;
  /** Cancels what was set, if it has not fired. */
  clear(): void;
}

/** @internal The {@link Timer} every timer of a store is set with: expiry, probe patience, refresh timeout, backoff. */
export function timer(clock: Clock): Timer {
  let handle: unknown;
  // The callback of the live timer: another one firing (replaced or cleared) is ignored.
  let live: (() => void) | undefined;
  const clear = (): void => {
    if (live !== undefined) clock.clearTimeout(handle);
    live = undefined;
  };
  return {
    set(fn, ms) {
      clear();
      const mine = (): void => {
        if (live !== mine) return;
        live = undefined;
        fn();
      };
      live = mine;
      handle = clock.setTimeout(mine, ms);
    },
    clear,
  };
}

/** Whether `value` is an object (not a function, nor `null`) with the methods `names`: a {@link Clock}, an RxJS scheduler. */
export function hasMethods(value: unknown, ...names: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}
