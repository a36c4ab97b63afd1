import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { axios, CanceledError } from './axios-values';
import type { SessionError } from '../errors';
import { aborted, RequestSignal } from '../internal/abort-scope';
import type { Tagged } from './tags';

/*
 * The binding's response interceptor: the last check before a response (or failure)
 * reaches the caller. Nothing of a session that has ended is delivered: it becomes a
 * `CanceledError` whose `config.signal.reason` is the `SESSION_ENDED` error.
 */

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

/** That cancel, if the session the request was tied to (or issued in) has ended. */
function cancelIfEnded(config: Tagged | undefined, request?: unknown): ReturnType<typeof sessionCancel> | undefined {
  if (config === undefined || config.skipAuth === true) return undefined;
  const signal = config.signal;
  const ended = (signal instanceof RequestSignal ? signal.sessionEnded() : undefined) ?? config.rxSessionEpoch?.endedWith;
  return ended && sessionCancel(config, ended, request);
}

/** A response that was on its way when its session ended is never delivered. */
export function checkDelivery(response: AxiosResponse): AxiosResponse {
  const delivered = response as Partial<AxiosResponse> | undefined;
  const cancel = cancelIfEnded(delivered?.config, delivered?.request);
  if (cancel) throw cancel;
  return response;
}

/** Nor is a failure of an ended session: for the caller, the request was cancelled. */
export function checkFailure(error: unknown): Promise<never> {
  return Promise.reject((!axios.isCancel(error) && cancelIfEnded((error as { config?: Tagged } | null)?.config)) || error);
}
