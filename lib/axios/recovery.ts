import { AxiosHeaders, CanceledError, type AxiosError, type AxiosPromise, type InternalAxiosRequestConfig } from 'axios';

/*
 * What the fence needs to hold a request behind a refresh, and to send it again after a
 * 401: without running interceptors or transforms twice, and without re-sending a body
 * that can be read only once.
 */

const noop = (): void => undefined;

/**
 * Waits for `wait` (its outcome does not matter), then runs `next`. Meanwhile the caller's
 * own `signal` or `cancelToken` still cancels the request, at once.
 */
export function waitThen(config: InternalAxiosRequestConfig, wait: Promise<unknown>, next: () => AxiosPromise): AxiosPromise {
  const signal = config.signal;
  const token = config.cancelToken as
    | {
        reason?: unknown;
        subscribe?: (fn: (reason: unknown) => void) => void;
        unsubscribe?: (fn: (reason: unknown) => void) => void;
      }
    | undefined;
  return new Promise((resolve, reject) => {
    let done = false;
    const cleanup = (): void => {
      done = true;
      signal?.removeEventListener?.('abort', onAbort);
      token?.unsubscribe?.(cancel);
    };
    const cancel = (reason?: unknown): void => {
      if (done) return;
      cleanup();
      reject(reason instanceof CanceledError ? reason : new CanceledError(undefined, config));
    };
    const onAbort = (): void => cancel();
    if (signal?.aborted === true || token?.reason != null) {
      cancel(token?.reason);
      return;
    }
    signal?.addEventListener?.('abort', onAbort);
    token?.subscribe?.(cancel);
    void wait.then(noop, noop).then(() => {
      if (done) return;
      cleanup();
      resolve(next());
    });
  });
}

/** Whether a request body (as the adapter got it) can be sent a second time: not a stream. */
export function replayable(data: unknown): boolean {
  if (data === null || typeof data !== 'object') return true;
  const body = data as { pipe?: unknown; getReader?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof body.pipe !== 'function' && typeof body.getReader !== 'function' && typeof body[Symbol.asyncIterator] !== 'function'
  );
}

/**
 * The error as the caller would see it, for `shouldRefresh`: at the adapter the response
 * body is still raw, and axios parses it (with `transformResponse`) only afterwards. The
 * error itself is not changed: axios transforms it once, as always.
 */
export function asCallerSees(error: AxiosError, config: InternalAxiosRequestConfig): AxiosError {
  const response = error.response;
  if (response === undefined) return error;
  let data: unknown = response.data;
  try {
    const transforms = config.transformResponse;
    const headers = AxiosHeaders.from(response.headers as AxiosHeaders);
    for (const fn of Array.isArray(transforms) ? transforms : transforms ? [transforms] : []) {
      data = fn.call(config, data, headers, response.status);
    }
  } catch {
    data = response.data;
  }
  return Object.assign(Object.create(error) as AxiosError, { response: { ...response, data } });
}
