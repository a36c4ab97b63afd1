import type { SessionStorageErrorEvent } from '../events';
import type { SessionStorageLike } from './persist-options';

export type StorageProblem = SessionStorageErrorEvent['problem'];
export type Operation = SessionStorageErrorEvent['operation'];

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Writes the stored value, in order: one write at a time, and while one is pending only
 * the latest value waits (a slow write never lands after a later one). A value the storage
 * already holds is not written again.
 */
export class Writer {
  stopped = false;
  /** What the storage holds as far as this knows (`undefined`: unknown). */
  #held: string | null | undefined;
  /** What the storage held when the last write failed (it still does, most likely), until a write succeeds. */
  outdated: string | null | undefined;
  #busy = false;
  #next: string | null | undefined;
  #pending = false;

  constructor(
    readonly storage: SessionStorageLike,
    readonly key: string,
    readonly report: (operation: Operation, problem: StorageProblem, err?: unknown) => void,
  ) {}

  /** The storage holds `raw`, as read. */
  known(raw: unknown): void {
    this.#held = typeof raw === 'string' || raw === null ? raw : undefined;
  }

  write(value: string | null): void {
    this.#next = value;
    this.#pending = true;
    if (!this.#busy) this.#pump();
  }

  #pump(): void {
    while (this.#pending && !this.stopped) {
      this.#pending = false;
      const value = this.#next as string | null;
      const before = this.#held;
      if (value === before) continue;
      const operation: Operation = value === null ? 'remove' : 'write';
      let result: unknown;
      try {
        result = value === null ? this.storage.removeItem(this.key) : this.storage.setItem(this.key, value);
      } catch (err) {
        this.#failed(operation, err, before);
        continue;
      }
      this.#held = value;
      if (isThenable(result)) {
        this.#busy = true;
        result.then(
          () => {
            this.outdated = undefined;
            this.#resume();
          },
          (err: unknown) => {
            this.#failed(operation, err, before);
            this.#resume();
          },
        );
        return;
      }
      this.outdated = undefined;
    }
  }

  #resume(): void {
    this.#busy = false;
    this.#pump();
  }

  #failed(operation: Operation, err: unknown, before: string | null | undefined): void {
    this.#held = undefined;
    this.outdated ??= before;
    this.report(operation, 'unwritable', err);
  }
}
