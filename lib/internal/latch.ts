/**
 * One promise that any number of waiters share, released for all of them at once; the
 * next waiters get a new one. Requests held for a refresh wait on one, and so do requests
 * waiting for a probe's answer.
 */
export class Latch {
  #promise: Promise<void> | undefined;
  #release: () => void = () => undefined;

  /** The promise to wait on: the current one, or a new one if it was released. */
  wait(): Promise<void> {
    return (this.#promise ??= new Promise<void>((resolve) => (this.#release = resolve)));
  }

  /** Releases everyone waiting now (nothing if nobody waits: the last promise was released already). */
  open(): void {
    this.#promise = undefined;
    this.#release();
  }
}
