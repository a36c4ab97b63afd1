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
/** Per response prototype (`Response.prototype`, or a polyfill's), the one its tied responses get. */
const tiedPrototypes = new WeakMap<object, object>();
// A body never read must not keep its request tracked until the logout: collected, it settles.
const collected =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<RequestSignal>((signal) => signal.settle()) : undefined;

/**
 * A prototype over `proto` whose reading methods read the response's tie first: one
 * prototype change per response, not six own methods (a third of the binding's cost per
 * response, measured).
 */
function tiedPrototype(proto: object): object {
  let tied = tiedPrototypes.get(proto);
  if (tied !== undefined) return tied;
  const methods: PropertyDescriptorMap = {};
  for (const name of READERS) {
    const native = (proto as Partial<Record<Reader, () => Promise<unknown>>>)[name];
    if (typeof native !== 'function') continue;
    methods[name] = {
      configurable: true,
      writable: true,
      value: function read(this: Response): Promise<unknown> {
        const signal = ties.get(this);
        if (signal === undefined) return native.call(this);
        const ended = signal.sessionEnded();
        if (ended !== undefined) return Promise.reject(ended);
        return native.call(this).then(
          (value) => {
            untie(this, signal);
            return value;
          },
          (err: unknown) => {
            untie(this, signal);
            throw err;
          },
        );
      },
    };
  }
  tied = Object.create(proto, methods) as object;
  tiedPrototypes.set(proto, tied);
  return tied;
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
  Object.setPrototypeOf(response, tiedPrototype(Object.getPrototypeOf(response) as object));
}
