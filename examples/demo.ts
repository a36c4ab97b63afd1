/**
 * rx-session demo: `npm start`.
 *
 * Starts a tiny API (and a "third-party" server) on 127.0.0.1, then walks through the
 * library at work: anonymous requests, login, two bound axios clients, the origin check,
 * a logout that cancels every in-flight request, and dispose. It doubles as a smoke
 * check: it exits 1 with a message if anything does not behave as described.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosInstance } from 'axios';
import { SessionStore, bindAxios, getSessionEnd } from '../lib/index';

interface User {
  name: string;
}

// ---- Output: every line goes through say(), which refuses to print an issued token ----
const issued = new Map<string, User>(); // token -> user, filled by the API's /login
function say(line: string): void {
  for (const token of issued.keys()) check(!line.includes(token), 'a token value reached the output');
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

const api = http.createServer((req, res) => {
  const auth = req.headers.authorization;
  if (req.method === 'POST' && req.url === '/login') {
    const token = randomBytes(16).toString('hex');
    issued.set(token, { name: 'Ada' });
    send(res, 200, { token, user: { name: 'Ada' } });
    return;
  }
  if (req.url === '/me') {
    const user = auth?.startsWith('Bearer ') ? issued.get(auth.slice('Bearer '.length)) : undefined;
    if (user) send(res, 200, user);
    else send(res, 401, { error: 'unauthorized' });
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

  // One store for the app; any number of axios instances follow it.
  const store = new SessionStore<User>();
  // No keep-alive, so that no socket outlives the demo.
  const client = (): AxiosInstance => axios.create({ baseURL: apiURL, httpAgent: new http.Agent({ keepAlive: false }) });
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
  const { data } = await profile.post<{ token: string; user: User }>('/login', {}, { skipAuth: true });
  store.login({ token: data.token, user: data.user });
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

  say('5. Three /slow requests in flight, then store.logout()');
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

  say('6. Requests after logout');
  const after = await profile.get<{ authorization: boolean }>('/public');
  say(`   /public: server saw an Authorization header: ${after.data.authorization}`);
  check(!after.data.authorization, 'no token is sent after logout');
  const me = await admin.get('/me', { validateStatus: null });
  say(`   /me: ${me.status}`);
  check(me.status === 401, '/me is refused after logout');

  say('7. store.dispose() and close the servers');
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
