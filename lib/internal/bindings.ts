import { config } from 'rxjs';
import type { Binding } from './store-link';

/**
 * The client bindings of one store (axios instances, fetch functions): brought in line on
 * every change, and detached on `dispose()`.
 */
export class Bindings {
  readonly #all = new Set<Binding>();

  /** Adds `binding` and brings it in line; returns what removes it. */
  add(binding: Binding): () => void {
    this.#all.add(binding);
    binding.sync();
    return () => {
      this.#all.delete(binding);
    };
  }

  /** Brings every binding in line with the store's state (their defaults, say). */
  sync(): void {
    for (const binding of this.#all) reporting(() => binding.sync());
  }

  /** Detaches every binding, and forgets them. */
  detachAll(): void {
    for (const binding of [...this.#all]) reporting(() => binding.detach());
    this.#all.clear();
  }
}

/**
 * Runs a binding's step (bringing its defaults in line, or unbinding it). One whose
 * defaults cannot be written (an app that froze `defaults.headers.common`) must not stop
 * a logout or `dispose()` halfway: the fence reads the store's state, not the defaults.
 * The error is reported as RxJS reports a subscriber's: to `config.onUnhandledError` if
 * set, else rethrown asynchronously.
 */
function reporting(step: () => void): void {
  try {
    step();
  } catch (err) {
    setTimeout(() => {
      const report = config.onUnhandledError;
      if (report === null) throw err;
      report(err);
    });
  }
}
