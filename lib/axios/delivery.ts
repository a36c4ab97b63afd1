import axios, { CanceledError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { SessionError } from '../errors';
import { aborted, RequestSignal } from '../internal/abort-scope';
import type { Tagged } from './tags';

/*
 * The binding's response interceptor: the last check before a response (or failure)
 * reaches the caller. Nothing of a session that has ended is delivered: it becomes a
 * `CanceledError` whose `config.signal.reason` is the `SESSION_ENDED` error.
 */

/** The SESSION_ENDED error if the session the request was tied to (or issued in) has ended. */
function sessionEndOf(config: Tagged): SessionError | undefined {
  if (config.skipAuth === true) return undefined;
  const signal = config.signal;
  if (signal instanceof RequestSignal) {
    const ended = signal.sessionEnded();
    if (ended !== undefined) return ended;
  }
  return config.rxSessionEpoch?.endedWith;
}

/**
 * The `CanceledError` for a request of a session that ended: its `config.signal` becomes an
 * aborted signal whose `reason` is the `SESSION_ENDED` error (see `getSessionEnd`).
 */
export function sessionCancel(
  config: InternalAxiosRequestConfig,
  ended: SessionError | undefined,
  request?: unknown,
  message?: string,
): InstanceType<typeof CanceledError<unknown>> {
  config.signal = aborted(ended);
  return new CanceledError(message, config, request);
}

/** A response that was on its way when its session ended is never delivered. */
export function checkDelivery(response: AxiosResponse): AxiosResponse {
  const config = (response as Partial<AxiosResponse> | undefined)?.config as Tagged | undefined;
  const ended = config === undefined ? undefined : sessionEndOf(config);
  if (ended !== undefined && config !== undefined) throw sessionCancel(config, ended, response.request);
  return response;
}

/** Nor is a failure of an ended session: for the caller, the request was cancelled. */
export function checkFailure(error: unknown): Promise<never> {
  const config = (error as { config?: Tagged } | null)?.config;
  const ended = config === undefined ? undefined : sessionEndOf(config);
  if (ended !== undefined && config !== undefined && !axios.isCancel(error)) {
    return Promise.reject(sessionCancel(config, ended));
  }
  return Promise.reject(error);
}
