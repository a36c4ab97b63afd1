import type { Session } from '../session';
import type { AbortScope } from './abort-scope';

/**
 * What a binding (such as `bindAxios`) sees of a store: the current state, read
 * synchronously on every request, and a hook called on every state change.
 *
 * Kept out of the public class so that apps cannot reach around the store's rules.
 */
export interface StoreLink {
  /** The current session and the scope of its epoch (`null` while anonymous). */
  state(): StoreState;
  /**
   * Registers a binding. `sync` is called at once and then synchronously on every
   * change, before subscribers of `session$` hear of it; `detach` when the store is
   * disposed. Returns the function that unregisters it.
   */
  attach(binding: Binding): () => void;
}

/** The store's state as a binding needs it. */
export interface StoreState {
  readonly session: Session;
  readonly scope: AbortScope | null;
}

/** A binding registered with a store. */
export interface Binding {
  sync(): void;
  detach(): void;
}

/** Each live store's link, looked up by `bindAxios` (a WeakMap: a dropped store is collected). */
export const storeLinks = new WeakMap<object, StoreLink>();
