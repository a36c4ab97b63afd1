import {
  createFetch,
  isSessionError,
  SessionStore,
  type CreateFetchOptions,
  type FetchFunction,
  type SessionRequestInit,
} from '../../lib/index';
import { startServer, type TestServer } from '../support/test-server';
import { startEchoServer, type EchoServer } from './echo-server';

/** The URL a `fetch` input names. */
const urlOf = (input: RequestInfo | URL): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

/** A `fetch` option that answers 204 at once and records what it was asked to send. */
function recordingFetch(): { fetch: FetchFunction; sent: { url: string; authorization: string | null }[] } {
  const sent: { url: string; authorization: string | null }[] = [];
  const fetch: FetchFunction = (input, init) => {
    const url = urlOf(input);
    const headers = new Headers(init?.headers ?? (typeof input === 'object' && 'headers' in input ? input.headers : undefined));
    sent.push({ url, authorization: headers.get('authorization') });
    return Promise.resolve(new Response(null, { status: 204 }));
  };
  return { fetch, sent };
}

describe('createFetch', () => {
  describe('over the wire', () => {
    let api: TestServer;
    let other: TestServer;
    let store: SessionStore;

    beforeEach(async () => {
      [api, other] = await Promise.all([startServer(), startServer()]);
      store = new SessionStore();
    });

    afterEach(async () => {
      store.dispose();
      await Promise.all([api.close(), other.close()]);
    });

    it('stamps the token of a login made after createFetch() was called', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('late-token');
      const res = await fetchApi('/me');
      expect(await res.json()).toEqual({ path: '/me', authorization: 'Bearer late-token' });
      expect(api.seen.map((r) => r.authorization)).toEqual(['Bearer late-token']);
    });

    it('sends the token rotated by update() between two requests on the second one', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('first-token');
      await (await fetchApi('/one')).text();
      store.update({ token: 'rotated-token' });
      await (await fetchApi('/two')).text();
      expect(api.seen.map((r) => r.authorization)).toEqual(['Bearer first-token', 'Bearer rotated-token']);
    });

    it('sends no header while signed out', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      await (await fetchApi('/anonymous')).text();
      store.login('t');
      store.logout();
      await (await fetchApi('/after-logout')).text();
      expect(api.seen.map((r) => r.authorization)).toEqual([undefined, undefined]);
      expect(api.seen[0]?.headers).not.toHaveProperty('authorization');
    });

    it('sends the token to the baseURL origin for relative, absolute and URL-object inputs', async () => {
      const fetchApi = createFetch(store, { baseURL: `${api.origin}/v1/` });
      store.login('secret-token');
      for (const input of ['items', '/root', `${api.origin}/absolute`, new URL('/url-object', api.origin)]) {
        await (await fetchApi(input)).text();
      }
      expect(api.seen.map((r) => [r.path, r.authorization])).toEqual([
        ['/v1/items', 'Bearer secret-token'],
        ['/root', 'Bearer secret-token'],
        ['/absolute', 'Bearer secret-token'],
        ['/url-object', 'Bearer secret-token'],
      ]);
    });

    it('sends the token to an origin listed in allowedOrigins', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin, allowedOrigins: [other.origin] });
      store.login('secret-token');
      await (await fetchApi(`${other.origin}/files`)).text();
      expect(other.seen.map((r) => r.authorization)).toEqual(['Bearer secret-token']);
    });

    it('withholds the token from another port on the same host', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      await (await fetchApi(`${other.origin}/elsewhere`)).text();
      await (await fetchApi(new URL('/elsewhere-url', other.origin))).text();
      expect(other.seen.map((r) => r.path)).toEqual(['/elsewhere', '/elsewhere-url']);
      expect(other.seen.map((r) => r.authorization)).toEqual([undefined, undefined]);
    });

    it('withholds the token from the same server under another host spelling', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      await (await fetchApi(`${api.origin.replace('127.0.0.1', 'localhost')}/other-spelling`)).text();
      expect(api.seen.map((r) => r.authorization)).toEqual([undefined]);
    });

    it('withholds the token from an origin that merely starts with an allowed one', async () => {
      // `http://127.0.0.1:4123` is a string prefix of `http://127.0.0.1:41234`: another origin.
      const prefix = other.origin.slice(0, -1);
      const fetchApi = createFetch(store, { allowedOrigins: [prefix] });
      store.login('secret-token');
      await (await fetchApi(`${other.origin}/prefix-trick`)).text();
      expect(other.seen.map((r) => r.authorization)).toEqual([undefined]);
    });

    it('keeps the caller’s own Authorization on a request to an origin the token may not go to', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      await (await fetchApi(`${other.origin}/third-party`, { headers: { Authorization: 'Bearer third-party-key' } })).text();
      expect(other.seen.map((r) => r.authorization)).toEqual(['Bearer third-party-key']);
    });

    it('removes the session’s token that a caller copied onto a request to another origin', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      const copied = { Authorization: 'Bearer secret-token', 'X-Trace': 'kept' };
      await (await fetchApi(`${other.origin}/copied`, { headers: copied })).text();
      expect(other.seen[0]?.authorization).toBeUndefined();
      expect(other.seen[0]?.headers['x-trace']).toBe('kept');
    });

    it('removes a token of the session from before a rotation that a caller copied onto a request to another origin', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('before-rotation');
      await (await fetchApi('/me')).text();
      store.update({ token: 'after-rotation' });
      await (await fetchApi(`${other.origin}/stale-copy`, { headers: { Authorization: 'Bearer before-rotation' } })).text();
      expect(other.seen.map((r) => r.authorization)).toEqual([undefined]);
    });

    it('puts the session’s token in place of a caller’s value of the header on a request to an allowed origin', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      await (await fetchApi('/mine', { headers: { Authorization: 'Basic dXNlcjpwdw==' } })).text();
      expect(api.seen.map((r) => r.authorization)).toEqual(['Bearer secret-token']);
    });

    it('sends a custom header and scheme', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin, header: 'X-Api-Key', scheme: '' });
      store.login('raw-token');
      await (await fetchApi('/key')).text();
      expect(api.seen[0]?.headers['x-api-key']).toBe('raw-token');
      expect(api.seen[0]?.authorization).toBeUndefined();
    });

    it('sends a skipAuth request without the token', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      const res = await fetchApi('/public', { skipAuth: true });
      expect(await res.json()).toEqual({ path: '/public', authorization: null });
    });

    it('does not cancel a skipAuth request on logout', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      const pending = fetchApi('/slow/public', { skipAuth: true });
      await api.arrived(1);
      store.logout();
      api.release();
      const res = await pending;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ late: true });
      expect(api.dropped()).toBe(0);
    });

    it('keeps the default fetch looked up on globalThis at call time', async () => {
      const fetchApi = createFetch(store, { baseURL: api.origin });
      store.login('secret-token');
      const original = globalThis.fetch;
      const calls: string[] = [];
      globalThis.fetch = (input, init) => {
        calls.push(urlOf(input));
        return original(input, init);
      };
      try {
        await (await fetchApi('/replaced')).text();
      } finally {
        globalThis.fetch = original;
      }
      await (await fetchApi('/restored')).text();
      expect(calls).toEqual([`${api.origin}/replaced`]);
      expect(api.seen.map((r) => r.path)).toEqual(['/replaced', '/restored']);
    });

    it('sends with the custom fetch option', async () => {
      const calls: string[] = [];
      const fetchApi = createFetch(store, {
        baseURL: api.origin,
        fetch: (input, init) => {
          calls.push(urlOf(input));
          return fetch(input, init);
        },
      });
      store.login('secret-token');
      await (await fetchApi('/custom')).text();
      expect(calls).toEqual([`${api.origin}/custom`]);
      expect(api.seen.map((r) => r.authorization)).toEqual(['Bearer secret-token']);
    });
  });

  describe('a Request as input (over the wire)', () => {
    let echo: EchoServer;
    let store: SessionStore;

    beforeEach(async () => {
      echo = await startEchoServer();
      store = new SessionStore({ initial: 'secret-token' });
    });

    afterEach(async () => {
      store.dispose();
      await echo.close();
    });

    it('keeps its method, headers and body, and gets the token', async () => {
      const fetchApi = createFetch(store, { baseURL: echo.origin });
      const request = new Request(`${echo.origin}/orders`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'r-1' },
        body: JSON.stringify({ item: 'book' }),
      });
      const res = await fetchApi(request);
      expect(await res.json()).toEqual({ method: 'PUT', body: '{"item":"book"}' });
      const seen = echo.seen[0];
      expect(seen?.method).toBe('PUT');
      expect(seen?.path).toBe('/orders');
      expect(seen?.headers['content-type']).toBe('application/json');
      expect(seen?.headers['x-request-id']).toBe('r-1');
      expect(seen?.headers.authorization).toBe('Bearer secret-token');
    });

    it('takes an init given with it over the Request’s own headers, as fetch does', async () => {
      const fetchApi = createFetch(store, { baseURL: echo.origin });
      const request = new Request(`${echo.origin}/patch`, { method: 'PATCH', headers: { 'X-From': 'request' }, body: 'a' });
      await (await fetchApi(request, { headers: { 'X-From': 'init' } })).text();
      expect(echo.seen.map((r) => [r.method, r.headers['x-from'], r.body, r.headers.authorization])).toEqual([
        ['PATCH', 'init', 'a', 'Bearer secret-token'],
      ]);
    });

    it('withholds the token from a Request to another origin, keeping its own headers', async () => {
      const fetchApi = createFetch(store, { baseURL: 'http://127.0.0.1:9/' });
      const request = new Request(`${echo.origin}/foreign`, { method: 'POST', headers: { 'X-Own': 'yes' }, body: 'payload' });
      await (await fetchApi(request)).text();
      expect(echo.seen.map((r) => [r.method, r.headers['x-own'], r.body, r.headers.authorization])).toEqual([
        ['POST', 'yes', 'payload', undefined],
      ]);
    });

    it.each<[string, RequestInit, SessionRequestInit | undefined, string | undefined]>([
      ['its referrer', { referrer: '/page' }, undefined, '/page'],
      ['its referrer under its referrerPolicy', { referrer: '/page', referrerPolicy: 'origin' }, undefined, '/'],
      ['its whole referrer under unsafe-url', { referrer: '/page', referrerPolicy: 'unsafe-url' }, undefined, '/page'],
      ['no referrer when it names none', {}, undefined, undefined],
      // `undefined` members, as a caller without exactOptionalPropertyTypes may write them.
      [
        'its referrer when the init with it sets nothing',
        { referrer: '/page' },
        { signal: undefined, skipAuth: false } as unknown as SessionRequestInit,
        '/page',
      ],
      ['what fetch sends when an init comes with it', { referrer: '/page' }, { headers: { 'X-From': 'init' } }, undefined],
    ])('sends %s in the Referer header, as fetch does', async (_, own, init, path) => {
      const fetchApi = createFetch(store, { baseURL: echo.origin });
      const referrer = own.referrer === undefined ? {} : { referrer: `${echo.origin}${own.referrer}` };
      const request = (): Request => new Request(`${echo.origin}/target`, { ...own, ...referrer });
      await (await fetch(request(), init)).text();
      await (await fetchApi(request(), init)).text();
      const [plain, bound] = echo.seen.map((r) => r.headers.referer);
      expect(bound).toBe(plain);
      expect(bound).toBe(path === undefined ? undefined : `${echo.origin}${path}`);
    });
  });

  describe('origin matching (recording fetch)', () => {
    function bound(options: CreateFetchOptions): (input: string) => Promise<boolean> {
      const store = new SessionStore({ initial: 'tok' });
      const recorder = recordingFetch();
      const fetchApi = createFetch(store, { ...options, fetch: recorder.fetch });
      return async (input) => {
        await fetchApi(input);
        return recorder.sent.at(-1)?.authorization === 'Bearer tok';
      };
    }

    it.each([
      ['https://api.x.com.evil.net/steal', false],
      ['https://api.x.com@evil.net/steal', false],
      ['https://user:pw@evil.net/steal', false],
      ['https://evil.net\\@api.x.com/steal', false],
      ['https://evil.net#https://api.x.com', false],
      ['http://api.x.com/downgrade', false],
      ['https://api.x.com:8443/other-port', false],
      ['//evil.net/protocol-relative', false],
      ['/\\evil.net/backslash', false],
      ['https://API.X.COM/case-insensitive-host', true],
      ['https://api.x.com:443/default-port', true],
      ['https://api.x.com/v2', true],
      ['/relative', true],
      ['relative', true],
      ['?q=1', true],
    ])('with baseURL https://api.x.com, %s carries the token: %s', async (input, expected) => {
      const carries = bound({ baseURL: 'https://api.x.com' });
      expect(await carries(input)).toBe(expected);
    });

    it('matches allowedOrigins exactly, never by prefix or through userinfo', async () => {
      const carries = bound({ allowedOrigins: ['https://files.x.com'] });
      expect(await carries('https://files.x.com/a')).toBe(true);
      expect(await carries('https://files.x.com.evil.net/a')).toBe(false);
      expect(await carries('https://files.x.com@evil.net/a')).toBe(false);
      expect(await carries('https://files.x.co/a')).toBe(false);
    });

    it('without a baseURL in Node, sends no token to an absolute URL off the allowed origins', async () => {
      const carries = bound({});
      expect(await carries('https://api.x.com/me')).toBe(false);
    });
  });

  describe('arguments', () => {
    it.each<[string, unknown]>([
      ['unknown option `timeout`', { timeout: 1 }],
      ['`header`', { header: 'Bad Header' }],
      ['`header`', { header: 42 }],
      ['`scheme`', { scheme: 'Two Words' }],
      ['`allowedOrigins`', { allowedOrigins: 'https://x.com' }],
      ['`allowedOrigins[1]`', { allowedOrigins: ['https://x.com', 'https://y.com/path'] }],
      ['`allowedOrigins[0]`', { allowedOrigins: ['not a url'] }],
      ['`allowedOrigins[0]`', { allowedOrigins: ['https://*.x.com'] }],
      ['`allowedOrigins[0]`', { allowedOrigins: ['ws://x.com'] }],
      ['`allowedOrigins[1]`', { allowedOrigins: Object.assign(['https://x.com'], { 2: 'https://y.com' }) }],
      ['`baseURL`', { baseURL: '/relative' }],
      ['`baseURL`', { baseURL: 'ftp://files.x.com/' }],
      ['`baseURL`', { baseURL: 42 }],
      ['`shouldRefresh`', { shouldRefresh: true }],
      ['`fetch`', { fetch: 'fetch' }],
    ])('throws a TypeError naming %s', (name, options) => {
      const store = new SessionStore();
      let thrown: unknown;
      try {
        createFetch(store, options as CreateFetchOptions);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as TypeError).message).toContain(name);
      expect((thrown as TypeError).message).toContain('createFetch()');
    });

    it('throws a TypeError for options that are not an object', () => {
      const store = new SessionStore();
      expect(() => createFetch(store, null as unknown as CreateFetchOptions)).toThrow(TypeError);
      expect(() => createFetch(store, 'https://api.x.com' as unknown as CreateFetchOptions)).toThrow(TypeError);
    });

    it('accepts a URL object as baseURL', async () => {
      const store = new SessionStore({ initial: 'tok' });
      const recorder = recordingFetch();
      const fetchApi = createFetch(store, { baseURL: new URL('https://api.x.com/v1/'), fetch: recorder.fetch });
      await fetchApi('me');
      expect(recorder.sent).toEqual([{ url: 'https://api.x.com/v1/me', authorization: 'Bearer tok' }]);
    });

    it.each<[string, unknown]>([
      ['undefined', undefined],
      ['a plain object', { session: { status: 'anonymous' } }],
      ['an axios-like instance', { defaults: {}, interceptors: {} }],
    ])('throws a TypeError for %s instead of a store', (_, notAStore) => {
      expect(() => createFetch(notAStore as SessionStore)).toThrow(TypeError);
      expect(() => createFetch(notAStore as SessionStore)).toThrow(/SessionStore/);
    });

    it('throws SessionError DISPOSED for a disposed store', () => {
      const store = new SessionStore();
      store.dispose();
      let thrown: unknown;
      try {
        createFetch(store);
      } catch (err) {
        thrown = err;
      }
      expect(isSessionError(thrown, 'DISPOSED')).toBe(true);
    });

    it('pins the types of its options and init', () => {
      const store = new SessionStore();
      // @ts-expect-error shouldRefresh takes a Response, not an axios error
      createFetch(store, { shouldRefresh: (err: { response: { status: number } }) => err.response.status === 401 });
      // @ts-expect-error not an option
      expect(() => createFetch(store, { timeout: 1 })).toThrow(TypeError);
      const fetchApi = createFetch(store, { fetch: recordingFetch().fetch });
      // @ts-expect-error skipAuth is a boolean
      void fetchApi('/x', { skipAuth: 'yes' });
      const result: Promise<Response> = fetchApi('/x', { skipAuth: true, method: 'POST' });
      void result;
    });
  });
});
