/**
 * Runs emissions one at a time, in the order they were asked for.
 *
 * A subscriber that calls `logout()` from inside a `session$` callback would otherwise
 * re-enter `BehaviorSubject.next()`: the subscribers after it would hear "logged out"
 * before "logged in". Queued, every subscriber hears every state in order.
 */
export class EmitQueue {
  readonly #queue: (() => void)[] = [];
  #draining = false;

  /** Runs `emit` now, or after the emission under way if there is one. */
  push(emit: () => void): void {
    this.#queue.push(emit);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) next();
    } finally {
      this.#draining = false;
    }
  }
}
