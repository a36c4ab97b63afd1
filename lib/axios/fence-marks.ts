import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';

/*
 * How rx-session recognises its own piece on an instance or a config: the fence around an
 * adapter.
 */

// A fence remembers the adapter it wraps: a config moved to another instance, or an
// interceptor that set a fence as `adapter`, is wrapped again around the original.
export const WRAPPED = Symbol('rx-session.adapter');
export const OWNER = Symbol('rx-session.binding');
export type Fence = AxiosAdapter & { [WRAPPED]: Original; [OWNER]: object };
export type Original = InternalAxiosRequestConfig['adapter'];

export function isFence(adapter: unknown): adapter is Fence {
  return typeof adapter === 'function' && WRAPPED in adapter;
}
