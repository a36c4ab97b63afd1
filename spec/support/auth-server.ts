import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the auth server answers one refresh request. */
export type RefreshAnswer =
  | { readonly status: 200; readonly token: string }
  | { readonly status: number; readonly body: unknown }
  /** Never answers by itself (closed on `close()`). */
  | 'hang';

/**
 * A real API and token endpoint on 127.0.0.1 (port 0) for the refresh paths.
 *
 * - `POST /refresh` answers with `onRefresh()` (by default a new token `tok-<n>`, which
 *   becomes the one valid token), after `refreshDelay` ms.
 * - `/api/...` answers 200 with `{ authorization }` when the request carries
 *   `Bearer <a valid token>`, else 401 `invalid_token`.
 * - `/forbidden` always answers 401: a business rule, not an expired token.
 */
export interface AuthServer {
  readonly origin: string;
  /** The tokens `/api` accepts. */
  readonly valid: Set<string>;
  /** What every request carried, in arrival order. */
  readonly seen: { readonly path: string; readonly authorization: string | undefined }[];
  /** How many `/refresh` requests arrived. */
  refreshes(): number;
  onRefresh: (n: number) => RefreshAnswer;
  refreshDelay: number;
  /** Delays every `/api` answer by this many ms. */
  apiDelay: number;
  /**
   * Holds every `/api` answer (those of requests already in and those to come) until the
   * returned function is called: a spec that checks which requests wait for an answer
   * does not race the server's timer.
   */
  holdApi(): () => void;
  close(): Promise<void>;
}

export async function startAuthServer(): Promise<AuthServer> {
  let refreshes = 0;
  let held: Promise<void> | undefined;
  const valid = new Set<string>();
  const seen: { path: string; authorization: string | undefined }[] = [];
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const state: AuthServer = {
    origin: '',
    valid,
    seen,
    refreshes: () => refreshes,
    onRefresh: (n) => ({ status: 200, token: `tok-${n}` }),
    refreshDelay: 0,
    apiDelay: 0,
    holdApi: () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        release();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const authorization = req.headers.authorization;
    seen.push({ path, authorization });
    req.resume();
    if (path === '/refresh') {
      const answer = state.onRefresh(++refreshes);
      if (answer === 'hang') return;
      setTimeout(() => {
        if ('token' in answer) {
          valid.clear();
          valid.add(answer.token);
          send(res, 200, { access_token: answer.token });
        } else {
          send(res, answer.status, answer.body);
        }
      }, state.refreshDelay);
      return;
    }
    if (path === '/forbidden') {
      send(res, 401, { error: 'not_your_document' });
      return;
    }
    if (path === '/unavailable') {
      setTimeout(() => send(res, 503, { error: 'unavailable' }), state.apiDelay);
      return;
    }
    const token = authorization?.startsWith('Bearer ') === true ? authorization.slice(7) : undefined;
    const ok = token !== undefined && valid.has(token);
    const answer = (): void => {
      setTimeout(() => send(res, ok ? 200 : 401, ok ? { path, authorization } : { error: 'invalid_token' }), state.apiDelay);
    };
    if (held === undefined) answer();
    else void held.then(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}
