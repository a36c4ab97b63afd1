import { computed, inject, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { SessionStore } from 'rx-session';
import type { Session } from 'rx-session';

/** The app's session as signals; see {@link injectSession}. */
export interface SessionSignals<TUser = unknown> {
  /** The current session (`status` tells signed in from signed out). */
  readonly session: Signal<Session<TUser>>;
  /** Whether someone is signed in. */
  readonly isAuthenticated: Signal<boolean>;
  /** The signed-in user, `null` while signed out or when `login()` was given none. */
  readonly user: Signal<TUser | null>;
}

/**
 * The provided {@link SessionStore}'s session as signals, for templates and `computed()`.
 * Call it in an injection context (a field initialiser of a component or service); the
 * subscription ends with that context.
 *
 * @example
 * ```ts
 * export class Header {
 *   readonly auth = injectSession<User>();   // {{ auth.user()?.name }}
 * }
 * ```
 */
export function injectSession<TUser = unknown>(): SessionSignals<TUser> {
  const store = inject(SessionStore) as SessionStore<TUser>;
  const session = toSignal(store.session$, { requireSync: true });
  return {
    session,
    isAuthenticated: computed(() => session().status === 'authenticated'),
    user: computed(() => session().user ?? null),
  };
}
