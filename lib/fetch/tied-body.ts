import type { RequestSignal } from '../internal/abort-scope';

/*
 * A response's body belongs to the session its request was sent in. Until the body has been
 * read, its request stays tied to its epoch: a logout meanwhile aborts the fetch, which
 * errors the body with the session's reason, and a read that starts after the logout
 * rejects with it at once (the body may be buffered already, where an abort would not reach it).
 */

type Reader = 'arrayBuffer' | 'blob' | 'bytes' | 'formData' | 'json' | 'text';
const READERS: readonly Reader[] = ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text'];

/** Each tied response's request signal, until its body is read (or the response is collected). */
const ties = new WeakMap<object, RequestSignal>();
let readers: PropertyDescriptorMap | undefined;
// A body never read must not keep its request tracked until the logout: collected, it settles.
const collected =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<RequestSignal>((signal) => signal.settle()) : undefined;

/** The reading methods, shared by every tied response: each reads its own response's tie. */
function makeReaders(): PropertyDescriptorMap {
  const map: PropertyDescriptorMap = {};
  for (const name of READERS) {
    map[name] = {
      configurable: true,
      writable: true,
      value: function read(this: Response): Promise<unknown> {
        const native = (Object.getPrototypeOf(this) as Record<Reader, () => Promise<unknown>>)[name];
        const signal = ties.get(this);
        if (signal === undefined) return native.call(this);
        const ended = signal.sessionEnded();
        if (ended !== undefined) return Promise.reject(ended);
        const done = (): void => untie(this, signal);
        return native.call(this).finally(done);
      },
    };
  }
  return map;
}

/** Settles a response's tie now: its body is dropped unread. */
export function release(response: Response): void {
  const signal = ties.get(response);
  if (signal !== undefined) untie(response, signal);
}

function untie(response: Response, signal: RequestSignal): void {
  if (ties.get(response) !== signal) return;
  ties.delete(response);
  collected?.unregister(signal);
  signal.settle();
}

/**
 * Ties `response`'s body to `signal` (its request's, tracked in its epoch): settled at once
 * when there is no body, else when a reading method (`json()`, `text()`, …) has read it, or
 * when the response is collected. A body read as a stream (`response.body`) stays tied
 * until then: the stream errors with the session's reason on a logout.
 */
export function tieBody(response: Response, signal: RequestSignal): void {
  if (response.body === null || typeof response.text !== 'function') {
    signal.settle();
    return;
  }
  ties.set(response, signal);
  collected?.register(response, signal, signal);
  Object.defineProperties(response, (readers ??= makeReaders()));
}
