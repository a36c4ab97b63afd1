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
    if (!this.#draining) this.#drain();
  }

  /**
   * Runs `change` with emissions held, then emits what it queued. A state change and its
   * side effects (abort listeners that may call back into the store) then queue their
   * emissions in the order the changes happened.
   */
  hold(change: () => void): void {
    if (this.#draining) {
      change();
      return;
    }
    this.#draining = true;
    try {
      change();
    } finally {
      this.#drain();
    }
  }

  #drain(): void {
    this.#draining = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) next();
    } finally {
      this.#draining = false;
    }
  }
}
