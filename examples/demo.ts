/**
 * rx-session demo: `npm start`.
 *
 * Starts a tiny API (and a "third-party" server) on 127.0.0.1, then walks through the
 * library at work: anonymous requests, login, two bound axios clients, the origin check,
 * a short-lived token refreshed before it expires, a burst of requests on a token the
 * server no longer accepts (one refresh for all), a logout that cancels every in-flight
 * request, and dispose. It doubles as a smoke
 * check: it exits 1 with a message if anything does not behave as described.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosInstance } from 'axios';
import { SessionStore, bindAxios, getSessionEnd, type Credentials, type SessionEvent } from '../lib/index';

interface User {
  name: string;
}

// ---- Output: every line goes through say(), which refuses to print an issued token ----
const issued = new Map<string, { user: User; expiresAt: number }>(); // access token -> who, until when
const refreshTokens = new Map<string, User>(); // refresh token -> user (rotated on every use)
function say(line: string): void {
  for (const token of [...issued.keys(), ...refreshTokens.keys()]) {
    check(!line.includes(token), 'a token value reached the output');
  }
  console.log(line);
}
function check(ok: boolean, expectation: string): asserts ok {
  if (!ok) throw new Error(`expectation failed: ${expectation}`);
}
const mask = (token: string): string => `${token.slice(0, 4)}… (${token.length} chars)`;

// ---- The embedded API -----------------------------------------------------------------
let slowArrived = 0; // /slow requests the server has received
let slowDropped = 0; // /slow requests whose client hung up before the response

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

let tokenLifetime = 600_000; // how long the access tokens the API issues live, in ms
let refreshCalls = 0;
let refused = 0; // requests /me answered with a 401

/** Issues an access token (living `tokenLifetime` ms) and a new refresh token. */
function issue(user: User): { token: string; refreshToken: string; expiresAt: number; user: User } {
  const token = randomBytes(16).toString('hex');
  const refreshToken = randomBytes(16).toString('hex');
  const expiresAt = Date.now() + tokenLifetime;
  issued.set(token, { user, expiresAt });
  refreshTokens.set(refreshToken, user);
  return { token, refreshToken, expiresAt, user };
}

function body(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)));
  });
}

const api = http.createServer((req, res) => {
  const auth = req.headers.authorization;
  if (req.method === 'POST' && req.url === '/login') {
    send(res, 200, issue({ name: 'Ada' }));
    return;
  }
  if (req.method === 'POST' && req.url === '/refresh') {
    refreshCalls++;
    void body(req).then(({ refreshToken }) => {
      const user = typeof refreshToken === 'string' ? refreshTokens.get(refreshToken) : undefined;
      if (user === undefined) {
        send(res, 400, { error: 'invalid_grant' });
        return;
      }
      refreshTokens.delete(refreshToken as string); // rotation: each refresh token works once
      setTimeout(() => send(res, 200, issue(user)), 50);
    });
    return;
  }
  if (req.url === '/me') {
    const entry = auth?.startsWith('Bearer ') ? issued.get(auth.slice('Bearer '.length)) : undefined;
    const valid = entry !== undefined && entry.expiresAt > Date.now();
    if (valid) send(res, 200, entry.user);
    else {
      refused++;
      send(res, 401, { error: 'invalid_token' });
    }
    return;
  }
  if (req.url === '/public') {
    send(res, 200, { authorization: auth !== undefined });
    return;
  }
  if (req.url === '/slow') {
    slowArrived++;
    const timer = setTimeout(() => send(res, 200, { done: true }), 5000);
    res.on('close', () => {
      if (res.writableFinished) return; // the response was sent: a normal close
      clearTimeout(timer);
      slowDropped++;
      say('     server: client dropped /slow');
    });
    return;
  }
  send(res, 404, { error: 'not found' });
});

// A server on another port is another origin: it must never see the token.
const thirdParty = http.createServer((req, res) => send(res, 200, { authorization: 'authorization' in req.headers }));

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}
function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
/** Resolves once `condition()` holds, polling; fails after `ms`. */
async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !condition(); await new Promise((r) => setTimeout(r, 10))) {
    check(Date.now() < end, `${what} (waited ${ms} ms)`);
  }
}

// ---- The demo --------------------------------------------------------------------------
async function main(): Promise<void> {
  const apiURL = await listen(api);
  const thirdPartyURL = await listen(thirdParty);
  say(`API on ${apiURL}, third-party origin on ${thirdPartyURL}\n`);

  // No keep-alive, so that no socket outlives the demo.
  const client = (): AxiosInstance => axios.create({ baseURL: apiURL, httpAgent: new http.Agent({ keepAlive: false }) });
  // The refresh call goes through an unbound client with `ctx.config` ({ skipAuth, signal }).
  const auth = client();
  // One store for the app; any number of axios instances follow it.
  const store = new SessionStore<User>({
    refresh: async (session, { config }) => {
      const res = await auth.post<Credentials<User>>('/refresh', { refreshToken: session.refreshToken }, config);
      return res.data;
    },
  });
  const profile = client();
  const admin = client();
  bindAxios(store, profile);
  bindAxios(store, admin);

  store.session$.subscribe({
    next: (s) => say(`     session$: ${s.status}${s.user ? ` as ${s.user.name}, token ${mask(s.token)}` : ''}`),
    complete: () => say('     session$: completed'),
  });
  store.logout$.subscribe((e) => say(`     logout$: reason '${e.reason}', ended session of ${e.session.user?.name}`));

  say('1. Anonymous request to /public');
  const anon = await profile.get<{ authorization: boolean }>('/public');
  say(`   server saw an Authorization header: ${anon.data.authorization}`);
  check(!anon.data.authorization, 'no token is sent while anonymous');

  say('2. Log in: POST /login with skipAuth, then store.login({ token, user })');
  const { data } = await profile.post<Credentials<User>>('/login', {}, { skipAuth: true });
  store.login(data);
  check(store.session.status === 'authenticated', 'login() signs in');

  say('3. GET /me from two bound clients');
  for (const [name, instance] of [
    ['profile', profile],
    ['admin', admin],
  ] as const) {
    const me = await instance.get<User>('/me');
    say(`   ${name}: ${me.status} ${JSON.stringify(me.data)}`);
    check(me.data.name === 'Ada', `${name} client is authorized`);
  }

  say('4. GET the third-party origin by absolute URL');
  const inDefaults = String(profile.defaults.headers.common['Authorization']);
  check(inDefaults === `Bearer ${data.token}`, 'the header sits in the instance defaults');
  say(`   defaults.headers.common.Authorization = Bearer ${mask(data.token)}`);
  const foreign = await profile.get<{ authorization: boolean }>(`${thirdPartyURL}/collect`);
  say(`   third party saw an Authorization header: ${foreign.data.authorization} (token refused for this origin)`);
  check(!foreign.data.authorization, 'the token never reaches another origin');

  const events: SessionEvent[] = [];
  store.events$.subscribe((e) => {
    events.push(e);
    if (e.type === 'refresh' || e.type === 'refresh-error') {
      say(`     events$: ${e.type}${e.type === 'refresh' && e.expiresAt ? `, new token lives ${e.expiresAt - e.at} ms` : ''}`);
    }
  });

  say('5. A short-lived token: the API now issues tokens that live 2 s');
  tokenLifetime = 2_000;
  const loggedInAt = Date.now();
  store.login((await profile.post<Credentials<User>>('/login', {}, { skipAuth: true })).data);
  say(`   logged in; expiresAt is ${(store.session.expiresAt ?? 0) - loggedInAt} ms away, shorter than refreshMargin (60 s)`);
  tokenLifetime = 600_000; // the refreshed token lives 10 minutes
  await waitFor(() => events.some((e) => e.type === 'refresh'), 3_000, 'a proactive refresh before expiry');
  const refreshedAfter = Date.now() - loggedInAt;
  say(`   refreshed proactively ${refreshedAfter} ms after login, halfway through the token's life`);
  check(refreshedAfter < 2_000, 'the refresh happens before the token expires');
  check((await admin.get<User>('/me')).data.name === 'Ada', '/me works with the refreshed token');

  say('6. The server stops accepting the current token; 20 parallel requests on two clients');
  for (const entry of issued.values()) entry.expiresAt = 0; // revoked server-side: every request gets a 401
  const before = refreshCalls;
  const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? profile : admin).get<User>('/me')));
  say(`   ${burst.filter((r) => r.data.name === 'Ada').length}/20 succeeded after ${refreshCalls - before} refresh call`);
  check(refreshCalls - before === 1, 'the 401 burst shares one refresh');
  check(
    burst.every((r) => r.data.name === 'Ada'),
    'every request of the burst is retried with the new token',
  );

  say('6b. The app restarts with a token restored from storage, which the server revoked meanwhile');
  const restored = issue({ name: 'Ada' });
  (issued.get(restored.token) ?? { expiresAt: 0 }).expiresAt = 0; // revoked while the app was closed
  store.login(restored, { restored: true }); // as persistSession() restores it: tested first
  const [refusedBefore, refreshesBefore] = [refused, refreshCalls];
  const restart = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? profile : admin).get<User>('/me')));
  say(
    `   ${restart.filter((r) => r.data.name === 'Ada').length}/20 succeeded; ${refused - refusedBefore} carried the revoked token`,
  );
  check(refreshCalls - refreshesBefore === 1, 'one refresh');
  check(refused - refusedBefore === 6, 'only probeLimit (6) requests test a token no response has confirmed yet');
  check(
    restart.every((r) => r.data.name === 'Ada'),
    'the other 14 wait for the answer and go with the new token',
  );

  say('7. Three /slow requests in flight, then store.logout()');
  const slow = [profile.get('/slow'), profile.get('/slow'), admin.get('/slow')];
  await waitFor(() => slowArrived === 3, 2000, 'the server receives the 3 /slow requests');
  say(`   store.inFlight = ${store.inFlight}; calling store.logout()`);
  check(store.inFlight === 3, 'the store tracks the 3 requests');
  const started = Date.now();
  store.logout();
  const results = await Promise.allSettled(slow);
  results.forEach((r, i) => {
    check(r.status === 'rejected', `/slow #${i + 1} is rejected`);
    const err: unknown = r.reason;
    // getSessionEnd(err) is err.config.signal.reason when that is SessionError('SESSION_ENDED').
    const reason = getSessionEnd(err);
    check(axios.isCancel(err), `/slow #${i + 1} rejects with a CanceledError`);
    check(reason !== undefined, `/slow #${i + 1}: signal.reason is SESSION_ENDED`);
    check(reason.reason === 'user', `/slow #${i + 1}: SessionError.reason is 'user'`);
    say(`   /slow #${i + 1}: isCancel=true, signal.reason.code=${reason.code}, .reason='${reason.reason}'`);
  });
  check(Date.now() - started < 1000, 'logout cancels at once, not after 5 s');
  await waitFor(() => slowDropped === 3, 2000, 'the server sees the 3 sockets dropped');
  say(`   server confirms ${slowDropped} dropped sockets`);

  say('8. Requests after logout');
  const after = await profile.get<{ authorization: boolean }>('/public');
  say(`   /public: server saw an Authorization header: ${after.data.authorization}`);
  check(!after.data.authorization, 'no token is sent after logout');
  const me = await admin.get('/me', { validateStatus: null });
  say(`   /me: ${me.status}`);
  check(me.status === 401, '/me is refused after logout');

  say('9. store.dispose() and close the servers');
  store.dispose();
  check(!('Authorization' in profile.defaults.headers.common), 'dispose() leaves no header in the defaults');
}

// A leak (an open socket or timer) would keep Node alive: fail loudly instead of hanging.
setTimeout(() => {
  console.error('demo: still running after 15 s (an open handle?)');
  process.exit(1);
}, 15_000).unref();

main().then(
  () => Promise.all([close(api), close(thirdParty)]).then(() => console.log('\nAll expectations held.')),
  (err: unknown) => {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return Promise.all([close(api), close(thirdParty)]);
  },
);
