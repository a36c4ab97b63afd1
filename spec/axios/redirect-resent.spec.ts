import axios, { type AxiosRequestConfig } from 'axios';
import { bindAxios, SessionStore } from '../../lib/index';
import { outcome } from '../support/outcome';
import { startServer, type TestServer } from '../support/test-server';

// A config the app sends again (a retry, a "try again" button) after its session ended
// keeps the `beforeRedirect` hook it was sent with: its redirects work as in plain axios.

let server: TestServer;
let elsewhere: TestServer;
let store: SessionStore;

beforeEach(async () => {
  [server, elsewhere] = await Promise.all([startServer(), startServer()]);
  store = new SessionStore({ initial: 'old-token' });
});

afterEach(async () => {
  store.dispose();
  await Promise.all([server.close(), elsewhere.close()]);
});

it.each<[string, (origin: string) => AxiosRequestConfig, boolean]>([
  ['signed out', () => ({}), false],
  ['in a new session, with skipAuth', () => ({ skipAuth: true }), true],
  ['in a new session, to an origin that gets no token', (origin) => ({ baseURL: origin }), true],
])('a config cancelled by logout, re-sent %s, follows its redirect and calls its own hook', async (_case, extra, loginAgain) => {
  const api = axios.create({ baseURL: server.origin });
  bindAxios(store, api);
  const hops: string[] = [];
  const pending = outcome(api.get('/slow', { beforeRedirect: (hop) => void hops.push(String(hop.href)) }));
  await server.arrived(1);
  store.logout();
  const ended = await pending;
  expect(ended.cancel).toBe(true);
  const config = ended.error?.config;
  if (config === undefined) throw new Error('the cancel carries its config');
  if (loginAgain) store.login('new-token');
  const target = extra(elsewhere.origin).baseURL === undefined ? server : elsewhere;
  const again = await outcome(api.request({ ...config, ...extra(elsewhere.origin), url: '/redirect?to=%2Flanded' }));
  expect(again.error?.message).toBeUndefined();
  expect(hops).toEqual([`${target.origin}/landed`]);
  expect(target.seen.filter((r) => r.path === '/landed').map((r) => r.authorization)).toEqual([undefined]);
});
