import type { SessionStore } from '../session-store';
import { createOriginPolicy } from '../request/origin-policy';
import { dispatch } from '../request/protocol';
import { SessionView } from '../request/session-view';
import { linkOf } from '../request/store-of';
import { FetchExchange, type FetchHost } from './fetch-exchange';
import { parseFetchOptions, type CreateFetchOptions, type SessionRequestInit } from './fetch-options';

const ABSOLUTE_HTTP = /^https?:\/\//i;

/**
 * Makes a `fetch` function that follows a store: same signature as `fetch`, same contract
 * as `bindAxios`. Any number of fetch functions and axios instances can share one store.
 *
 * For each request it:
 * - stamps `<scheme> <token>` in `header` from the *current* session as the request is
 *   sent, only to the `baseURL`'s origin, relative inputs (the page's origin) and
 *   `allowedOrigins`, compared exactly by parsed origin; elsewhere the session's token is
 *   removed (a value of the caller's own in the header stays). To an allowed origin the
 *   session's token replaces a caller's value of the header: send your own with `skipAuth`;
 * - ties the request to its session: after `logout()` returns, nothing of the ended
 *   session is sent, and every request in flight rejects as an aborted `fetch` does, with
 *   its signal's reason, the `SessionError('SESSION_ENDED')` (see `getSessionEnd`). Reading
 *   the body of a response of an ended session rejects the same way. A caller's own
 *   `signal` still cancels its request alone;
 * - on a 401 with the current token (see `shouldRefresh`), waits for the store's shared
 *   refresh (one for every client of the store) and sends the request once more; a body
 *   that can be read once (a `ReadableStream`) is not sent again.
 *
 * `skipAuth: true` in the init sends a request without the token, untied: never cancelled
 * by a logout, never held, never retried. A `Request` passed as input keeps its own method,
 * headers, body, referrer and referrer policy; an `init` given with it overrides them, as in `fetch`.
 *
 * @throws {TypeError} for something that is not a SessionStore, or a bad option, naming it.
 * {@link SessionError} `DISPOSED`.
 *
 * @example
 * ```ts
 * const api = createFetch(store, { baseURL: 'https://api.example.com/' });
 * const me = await (await api('me')).json();     // Authorization: Bearer <token>
 * await api('health', { skipAuth: true });       // no token, not cancelled by logout
 * ```
 */
export function createFetch<TUser>(
  store: SessionStore<TUser>,
  options: CreateFetchOptions = {},
): (input: RequestInfo | URL, init?: SessionRequestInit) => Promise<Response> {
  const link = linkOf(store, 'createFetch()', 'createFetch(store)');
  const settings = parseFetchOptions(options);
  const policy = createOriginPolicy(settings.allowedOrigins, { defaults: settings });
  /** The last few hundred absolute URLs this function sent to, and whether they may have the token. */
  const verdicts = new Map<string, boolean>();
  const host: FetchHost = {
    view: new SessionView(link, settings),
    settings,
    mayCarryToken(url, request) {
      // A `Request` of the page's own origin was made from a relative URL, or names the page.
      const page = (globalThis as { location?: { origin?: unknown } }).location?.origin;
      if (request && settings.baseURL === undefined && typeof page === 'string' && url.startsWith(`${page}/`)) return true;
      // An absolute URL's verdict depends on nothing else (a relative one's on the document's base).
      let verdict = verdicts.get(url);
      if (verdict === undefined) {
        verdict = policy({ url });
        if (ABSOLUTE_HTTP.test(url)) {
          if (verdicts.size >= 256) verdicts.clear();
          verdicts.set(url, verdict);
        }
      }
      return verdict;
    },
  };
  return (input, init) => {
    let exchange: FetchExchange;
    try {
      host.view.sync();
      exchange = new FetchExchange(host, input, init);
    } catch (err) {
      // As `fetch` does with a bad input: it rejects, it does not throw.
      return Promise.reject(err);
    }
    return dispatch(host.view, exchange);
  };
}
