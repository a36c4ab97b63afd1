import type { InternalAxiosRequestConfig } from 'axios';
import type { AbortScope } from '../internal/abort-scope';

/**
 * What a bound request carries for the binding, under string keys: axios' dispatch step
 * may copy a config into a fresh object with only its string keys, and a spread copies
 * them too, so they survive where a symbol would not. None shows a token (a stamp keeps
 * its value in a closure).
 */
export interface Tagged extends InternalAxiosRequestConfig {
  /** The binding whose instance issued the request: only it stamps the request. */
  rxSessionBinding?: object;
  /** The epoch (scope) the request was issued in, noted when axios built its chain. */
  rxSessionEpoch?: AbortScope | null;
  /** What a binding stamped on this config (kept by a retried config). */
  rxSessionStamp?: Stamp;
  redact?: string[];
}

/**
 * A stamped header value and the header it went in. The value stays in a closure, so that
 * logging or serialising a config never shows it (a copy of the config, by axios'
 * `mergeConfig` or a spread, shares `is` and so still recognises it).
 */
export interface Stamp {
  /** The binding's header (another binding of a moved config may use another one). */
  readonly header: string;
  /** Whether `value` is the stamped value. */
  is(value: unknown): boolean;
}

/** The stamp of `value` in `header`. */
export const stampOf = (value: string, header: string): Stamp => ({ header, is: (sent) => sent === value });
