import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';

/*
 * How rx-session recognises its own pieces on an instance or a config: the fence around an
 * adapter, and the gate fused into the first request transform.
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

export type Transform = (this: unknown, data: unknown, headers?: unknown) => unknown;
// A gate is fused with the transform it runs before (`GATE` holds that transform, or `null`
// for a gate alone, used only when a list has no transform): axios normalises the headers
// once per transform step, so a step of its own would cost every request a full pass.
export const GATE = Symbol('rx-session.gate');
export type Gate = Transform & { [GATE]: Transform | null; [OWNER]: object };

export function isGate(fn: unknown): fn is Gate {
  return typeof fn === 'function' && GATE in fn;
}

/** A transform list without any rx-session gate (another binding's, on a moved config): a fresh array. */
export function ungated(transforms: unknown): unknown[] {
  const list: unknown[] = [];
  for (let fn of toList(transforms)) {
    while (isGate(fn)) fn = fn[GATE];
    if (fn !== null) list.push(fn);
  }
  return list;
}

export function toList(transforms: unknown): unknown[] {
  return Array.isArray(transforms) ? transforms : transforms === undefined || transforms === null ? [] : [transforms];
}
