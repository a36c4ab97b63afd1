/*
 * The abort-signal shapes rx-session reads from callers and implements (see `RequestSignal`
 * in `abort-scope.ts`): types only.
 */

import type { RequestSignal } from './abort-scope';

/**
 * The abort-signal shape rx-session reads from a caller (a DOM `AbortSignal`, or axios'
 * `GenericAbortSignal`), and implements itself in `RequestSignal`.
 */
export interface SignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener?: (type: 'abort', listener: () => void) => void;
  removeEventListener?: (type: 'abort', listener: () => void) => void;
}

/** The event a `RequestSignal` hands its listeners: what axios' adapters expect. */
export interface AbortEventLike {
  readonly type: 'abort';
  readonly target: RequestSignal;
}

/** A listener of a `RequestSignal`'s `abort` event. */
export type AbortListener = (this: RequestSignal, event: AbortEventLike) => unknown;
