import type { RequestSignal } from '../internal/abort-scope';
import { noop } from '../request/protocol';

/*
 * A response's body belongs to the session its request was sent in. Until the body has been
 * read, its request stays tied to its epoch: a logout meanwhile aborts the fetch, which
 * errors the body with the session's reason, and a read that starts after the logout
 * rejects with it at once (the body may be buffered already, where an abort would not reach it).
 * A body read as a stream (`response.body`) is tied until the stream ends, errors or is
 * cancelled; a `clone()` reads as its original does (and throws the session's reason once it ended).
 */

type Reader = 'arrayBuffer' | 'blob' | 'bytes' | 'formData' | 'json' | 'text';
const READERS: readonly Reader[] = ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text'];

/** Each tied response's request signal, until its body is read (or the response is collected). */
const ties = new WeakMap<object, RequestSignal>();
/** Clones of tied responses, with their original's signal: their reads check the session, and settle nothing. */
const copies = new WeakMap<object, RequestSignal>();
/** The stream a tied response hands out as its `body`, once asked for. */
const streams = new WeakMap<object, ReadableStream<Uint8Array>>();
/** Per response prototype (`Response.prototype`, or a polyfill's), the one its tied responses get. */
const tiedPrototypes = new WeakMap<object, object>();
// A body never read must not keep its request tracked until the logout: collected, it settles.
const collected =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<RequestSignal>((signal) => signal.settle()) : undefined;

/** The signal a response's reads answer to: its own tie, or its original's. */
const tieOf = (response: object): RequestSignal | undefined => ties.get(response) ?? copies.get(response);

/**
 * A prototype over `proto` whose reading methods read the response's tie first, with a
 * `body` that unties when read to its end and a `clone()` that keeps the tie: one prototype
 * change per response, not own methods (a third of the binding's cost per response, measured).
 */
function tiedPrototype(proto: object): object {
  let tied = tiedPrototypes.get(proto);
  if (tied !== undefined) return tied;
  const methods: PropertyDescriptorMap = {};
  const own = (name: string, value: unknown): void => {
    methods[name] = { configurable: true, writable: true, value };
  };
  for (const name of READERS) {
    const native = (proto as Partial<Record<Reader, () => Promise<unknown>>>)[name];
    if (typeof native !== 'function') continue;
    own(name, function read(this: Response): Promise<unknown> {
      const signal = tieOf(this);
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
    });
  }
  const clone = (proto as Partial<Response>).clone;
  if (typeof clone === 'function') {
    own('clone', function (this: Response): Response {
      const signal = tieOf(this);
      // The session's reason, as a read would reject with it.
      const ended = signal?.sessionEnded();
      if (ended !== undefined) throw ended;
      const copy = clone.call(this);
      if (signal !== undefined) {
        copies.set(copy, signal);
        Object.setPrototypeOf(copy, tiedPrototype(Object.getPrototypeOf(copy) as object));
      }
      return copy;
    });
  }
  const body = getterOf(proto, 'body');
  if (body !== undefined) {
    methods.body = {
      configurable: true,
      get(this: Response): unknown {
        // The same stream every time, also once the tie is gone.
        let watched = streams.get(this);
        if (watched !== undefined) return watched;
        const stream = body.call(this) as ReadableStream<Uint8Array> | null;
        // A clone's stream too: its reads answer to its original's session.
        const signal = tieOf(this);
        if (signal === undefined || typeof stream?.getReader !== 'function') return stream;
        const source = (): ReadableStream<Uint8Array> => body.call(this) as ReadableStream<Uint8Array>;
        streams.set(this, (watched = watch(source, signal, () => untie(this, signal))));
        return watched;
      },
    };
  }
  tied = Object.create(proto, methods) as object;
  tiedPrototypes.set(proto, tied);
  return tied;
}

function getterOf(proto: object | null, name: string): (() => unknown) | undefined {
  for (; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const found = Object.getOwnPropertyDescriptor(proto, name);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a getter, called with the response as `this`
    if (found !== undefined) return found.get;
  }
  return undefined;
}

/**
 * The stream `source()` gives as a stream of the same bytes that calls `done` when it ends,
 * errors or is cancelled, and errors with the session's reason once the session has ended.
 * It asks for `source()` and takes its reader only at the first read, so that looking at
 * `response.body` does not lock it (`text()` still works after), and a `clone()` meanwhile
 * (which puts a branch of a tee in its place) leaves it readable.
 */
function watch(source: () => ReadableStream<Uint8Array>, signal: RequestSignal, done: () => void): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream({
    type: 'bytes',
    async pull(controller) {
      try {
        const ended = signal.sessionEnded();
        if (ended !== undefined) throw ended;
        reader ??= source().getReader();
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) {
            done();
            controller.close();
            controller.byobRequest?.respond(0);
            return;
          }
          // A byte stream takes no empty chunk.
          if (chunk.value.byteLength > 0) {
            controller.enqueue(chunk.value as Uint8Array<ArrayBuffer>);
            return;
          }
        }
      } catch (err) {
        done();
        throw err;
      }
    },
    cancel(reason) {
      done();
      return (reader ?? source()).cancel(reason);
    },
  });
}

/** Settles a response's tie now and cancels its body: it is dropped unread. */
export function dropBody(response: Response, reason?: unknown): void {
  const signal = ties.get(response);
  if (signal !== undefined) untie(response, signal);
  // A polyfill's body may be a Node stream, with no `cancel()`.
  const body = response.body as { cancel?: (reason?: unknown) => Promise<void>; destroy?: () => void } | null;
  if (typeof body?.cancel === 'function') body.cancel(reason).catch(noop);
  else body?.destroy?.();
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
 * its stream (`response.body`) has ended, or when the response is collected. A logout
 * meanwhile errors the body with the session's reason.
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
