import type { AxiosAdapter, AxiosPromise, InternalAxiosRequestConfig } from 'axios';
import { CanceledError } from './axios-values';
import { RequestSignal } from '../internal/abort-scope';
import { removeHeader } from './headers';

/**
 * Sends a request with a form-data body (`data.getLength`), tied to its session epoch by
 * `signal`, already in `config.signal` (see `AxiosExchange.send`).
 */
export function sendMeasured(
  config: InternalAxiosRequestConfig,
  signal: RequestSignal,
  adapter: AxiosAdapter,
  header: string,
): AxiosPromise {
  const data = config.data as { getLength: (callback: (error: unknown, length: number) => void) => void };
  if (config.headers.getContentLength() != null) return adapter(config);
  // axios' http adapter awaits a form-data body's length after it subscribed to the
  // signal, and sends even if aborted meanwhile: measure it first, then check again.
  return new Promise<number | undefined>((resolve, reject) => {
    // A logout while measuring cancels at once, not when the measuring ends.
    const onAbort = (): void => reject(new CanceledError(undefined, config));
    signal.addEventListener('abort', onAbort);
    // A length it cannot tell (a stream of unknown size) is sent chunked, as axios does.
    data.getLength((error, length) => {
      signal.removeEventListener('abort', onAbort);
      resolve(error ? undefined : length);
    });
  }).then((length) => {
    if (signal.aborted) return Promise.reject(new CanceledError(undefined, config));
    if (length !== undefined) config.headers.setContentLength(length);
    // axios measures again an unknown length itself, after it subscribed to the signal,
    // and sends even if aborted meanwhile: then at least without the token.
    else signal.addEventListener('abort', () => removeHeader(config.headers, header));
    return adapter(config);
  });
}

/** A retried config brings its first attempt's signal: put back the caller's own (or none). */
export function untie(config: InternalAxiosRequestConfig): void {
  const signal = config.signal;
  if (!(signal instanceof RequestSignal)) return;
  const origin = signal.origin;
  if (origin === undefined) delete config.signal;
  else config.signal = origin;
}
