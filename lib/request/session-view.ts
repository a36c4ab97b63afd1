import type { AbortScope } from '../internal/abort-scope';
import type { StoreLink, StoreState } from '../internal/store-link';
import type { ClientSettings } from './client-options';

// How many recently stamped values a binding recognises as its own where nothing else
// tells (a copy of axios defaults, a header merged before a rotation, a caller's copy).
const RECENT_LIMIT = 64;

/**
 * What one client binding (an axios instance, a fetch function) knows of its store, brought
 * up to date on every request (cheap when nothing changed): the session epoch's scope, the
 * header value `<scheme> <token>`, and the values it stamped lately.
 *
 * It holds the token: keep it out of reach of what is serialised or logged (a binding is
 * reachable from an axios request's config, so it keeps its view in a private field).
 */
export class SessionView {
  // `declare`d: set by the constructor alone, with no field definitions before it.
  declare readonly link: StoreLink;
  declare readonly header: string;
  declare readonly scheme: string;
  /** Whether the store has a `refresh` to recover a 401 with. */
  declare readonly canRefresh: boolean;
  /** `false` once unbound: requests still on their way go untied and without the token. */
  active = true;
  /** Whether the store may hold a request (see `StoreLink.hold`): never without a refresh and an expiry. */
  mayHold = true;
  /** The current epoch's scope, `null` while signed out. */
  scope: AbortScope | null = null;
  /** The header value for the current token, `null` while signed out. */
  value: string | null = null;
  /** The values stamped lately, newest first: removed where the token must not go, while a caller's own value is kept. */
  readonly recent: string[] = [];
  #seen: StoreState | undefined;

  constructor(link: StoreLink, settings: ClientSettings) {
    this.link = link;
    this.header = settings.header;
    this.scheme = settings.scheme;
    this.canRefresh = link.canRefresh();
  }

  /** Brings the view up to the store's state; returns whether it changed. */
  sync(): boolean {
    const state = this.link.state();
    if (state === this.#seen) return false;
    this.#seen = state;
    this.scope = state.scope;
    this.mayHold = this.canRefresh || state.session.expiresAt !== undefined;
    const token = state.session.token;
    const value = token === null ? null : this.scheme === '' ? token : `${this.scheme} ${token}`;
    this.value = value;
    const recent = this.recent;
    if (value !== null && recent[0] !== value) {
      const at = recent.indexOf(value);
      if (at !== -1) recent.splice(at, 1);
      recent.unshift(value);
      recent.length = Math.min(recent.length, RECENT_LIMIT);
    }
    return true;
  }
}
