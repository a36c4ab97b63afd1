import type { AxiosError, InternalAxiosRequestConfig } from 'axios';
import { AxiosHeaders, CanceledError } from './axios-values';
import { follow } from '../internal/abort-scope';

/*
 * What the fence needs to hold a request behind a refresh, and to send it again after a
 * 401: without running interceptors or transforms twice, and without re-sending a body
 * that can be read only once.
 */

/**
 * Waits for `wait` (which never rejects), and resolves with its value. Meanwhile the
 * caller's own `signal` or `cancelToken` still cancels the request, at once: it rejects
 * with a `CanceledError`.
 */
export function waitFor<T>(config: InternalAxiosRequestConfig, wait: Promise<T>): Promise<T> {
  const signal = config.signal;
  const token = config.cancelToken as
    | {
        reason?: unknown;
        subscribe?: (fn: (reason: unknown) => void) => void;
        unsubscribe?: (fn: (reason: unknown) => void) => void;
      }
    | undefined;
  return new Promise((resolve, reject) => {
    // One listener on the caller's signal however many requests wait on it (see `follow`).
    const follower = signal == null || signal.aborted ? undefined : follow(signal);
    let done = false;
    /** Ends the wait, once: says whether it was still on. */
    const end = (): boolean => {
      if (done) return false;
      done = true;
      follower?.settle();
      token?.unsubscribe?.(cancel);
      return true;
    };
    // The token's reason, a `CanceledError`; or a new one (for the signal's abort event).
    const cancel = (reason?: unknown): void => {
      if (end()) reject(reason instanceof CanceledError ? reason : new CanceledError(undefined, config));
    };
    if (signal?.aborted === true || token?.reason != null) {
      cancel(token?.reason);
      return;
    }
    follower?.addEventListener('abort', cancel);
    token?.subscribe?.(cancel);
    void wait.then((value) => {
      if (end()) resolve(value);
    });
  });
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
    const headers = AxiosHeaders.from(response.headers as Parameters<typeof AxiosHeaders.from>[0]);
    for (const fn of [transforms ?? []].flat()) {
      data = fn.call(config, data, headers, response.status);
    }
  } catch {
    data = response.data;
  }
  return Object.assign(Object.create(error) as AxiosError, { response: { ...response, data } });
}
