import type { SessionStorageErrorEvent } from '../events';
import type { SessionStorageLike } from './persist-options';

export type StorageProblem = SessionStorageErrorEvent['problem'];
export type Operation = SessionStorageErrorEvent['operation'];

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** What `persistSession()` writes the stored value through (see {@link writer}). */
export interface Writer {
  /** Set once `persistSession()` is stopped: nothing more is written. */
  stopped: boolean;
  /** What the storage held when the last write failed (it still does, most likely), until a write succeeds. */
  readonly outdated: string | null | undefined;
  /** The storage holds `raw`, as read. */
  known(raw: unknown): void;
  /** Writes `value` (`null` removes the key). */
  write(value: string | null): void;
}

/**
 * Writes the stored value under `key`, in order: one write at a time, and while one is
 * pending only the latest value waits (a slow write never lands after a later one). A value
 * the storage already holds is not written again. A write that fails is reported.
 */
export function writer(
  storage: SessionStorageLike,
  key: string,
  report: (operation: Operation, problem: StorageProblem, err?: unknown) => void,
): Writer {
  /** What the storage holds as far as this knows (`undefined`: unknown). */
  let held: string | null | undefined;
  let outdated: string | null | undefined;
  let busy = false;
  let next: string | null = null;
  let pending = false;

  const failed = (operation: Operation, err: unknown, before: string | null | undefined): void => {
    held = undefined;
    outdated ??= before;
    report(operation, 'unwritable', err);
  };
  const resume = (): void => {
    busy = false;
    pump();
  };
  const pump = (): void => {
    while (pending && !self.stopped) {
      pending = false;
      const value = next;
      const before = held;
      if (value === before) continue;
      const operation: Operation = value === null ? 'remove' : 'write';
      let result: unknown;
      try {
        result = value === null ? storage.removeItem(key) : storage.setItem(key, value);
      } catch (err) {
        failed(operation, err, before);
        continue;
      }
      held = value;
      if (isThenable(result)) {
        busy = true;
        result.then(
          () => {
            outdated = undefined;
            resume();
          },
          (err: unknown) => {
            failed(operation, err, before);
            resume();
          },
        );
        return;
      }
      outdated = undefined;
    }
  };

  const self: Writer = {
    stopped: false,
    get outdated() {
      return outdated;
    },
    known(raw) {
      held = typeof raw === 'string' || raw === null ? raw : undefined;
    },
    write(value) {
      next = value;
      pending = true;
      if (!busy) pump();
    },
  };
  return self;
}
