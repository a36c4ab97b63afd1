import { follow } from '../internal/abort-scope';
import type { SignalLike } from '../internal/signal-like';

/**
 * Waits for `until` (which never rejects) and resolves with its value; rejects with the
 * caller's signal's reason if it aborts meanwhile, as an aborted `fetch` does. One
 * listener on the caller's signal however many requests wait on it (see `follow`).
 */
export function waitUnlessAborted<T>(caller: SignalLike | undefined, until: Promise<T>): Promise<T> {
  if (caller === undefined) return until;
  if (caller.aborted) return Promise.reject(caller.reason);
  const follower = follow(caller);
  return new Promise<T>((resolve, reject) => {
    follower.addEventListener('abort', () => reject(caller.reason));
    void until.then((value) => {
      follower.settle();
      resolve(value);
    });
  });
}
