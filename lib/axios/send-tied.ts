import { CanceledError, type AxiosAdapter, type AxiosPromise, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { RequestSignal } from '../internal/abort-scope';
import { removeHeader } from './headers';

/**
 * Sends a request tied to its session epoch by `signal` (tracked in the epoch's scope, and
 * following the caller's signal, if any), now in `config.signal`. The caller settles the
 * signal when the adapter is done with it (see {@link settleAfter}), whatever response
 * interceptors do afterwards.
 */
export function sendTied(
  config: InternalAxiosRequestConfig,
  signal: RequestSignal,
  adapter: AxiosAdapter,
  header: string,
): AxiosPromise {
  config.signal = signal;
  const data = config.data as { getLength?: unknown } | null | undefined;
  if (data != null && typeof data.getLength === 'function' && config.headers.getContentLength() == null) {
    // axios' http adapter awaits a form-data body's length after it subscribed to the
    // signal, and sends even if aborted meanwhile: measure it first, then check again.
    const getLength = data.getLength as (callback: (error: unknown, length: number) => void) => void;
    let onAbort: () => void = () => undefined;
    return new Promise<number | undefined>((resolve, reject) => {
      // A logout while measuring cancels at once, not when the measuring ends.
      onAbort = () => reject(new CanceledError(undefined, config));
      signal.addEventListener('abort', onAbort);
      // A length it cannot tell (a stream of unknown size) is sent chunked, as axios does.
      getLength.call(data, (error, length) => resolve(error ? undefined : length));
    }).then((length) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return Promise.reject(new CanceledError(undefined, config));
      if (length !== undefined) config.headers.setContentLength(length);
      // axios measures again an unknown length itself, after it subscribed to the signal,
      // and sends even if aborted meanwhile: then at least without the token.
      else signal.addEventListener('abort', () => removeHeader(config.headers, header));
      return adapter(config);
    });
  }
  return adapter(config);
}

/** A retried config brings its first attempt's signal: put back the caller's own (or none). */
export function untie(config: InternalAxiosRequestConfig): void {
  const signal = config.signal;
  if (!(signal instanceof RequestSignal)) return;
  const origin = signal.origin;
  if (origin === undefined) delete config.signal;
  else config.signal = origin;
}

/** Unties the request when the adapter is done with it: now, or when a streamed body closes. */
export function settleAfter(response: AxiosResponse, signal: RequestSignal): void {
  const body = response.data as { once?: unknown; pipe?: unknown; destroyed?: boolean; getReader?: unknown } | null | undefined;
  if (body != null && typeof body.once === 'function' && typeof body.pipe === 'function' && body.destroyed !== true) {
    // A Node stream: tied until it closes. A logout meanwhile destroys it with the
    // session's reason, so a reader attached later gets the error, not buffered chunks
    // that would look like a complete body.
    const stream = body as { once(event: string, fn: () => void): void; destroy(error?: unknown): void };
    signal.first(() => stream.destroy(signal.reason));
    stream.once('close', () => signal.settle());
  } else if (body != null && typeof body.getReader === 'function') {
    // A web stream (fetch adapter): it listens until the body is read to the end.
    signal.settleWhenUnheard();
  } else {
    signal.settle();
  }
}
