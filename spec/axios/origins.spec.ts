import axios from 'axios';
import { bindAxios, SessionStore } from '../../lib/index';
import { authOf, fakeAdapter } from '../support/fake-adapter';
import { startServer, type TestServer } from '../support/test-server';

describe('the token goes only to allowed origins', () => {
  describe('over the wire', () => {
    let apiServer: TestServer;
    let thirdParty: TestServer;
    let store: SessionStore;

    beforeEach(async () => {
      [apiServer, thirdParty] = await Promise.all([startServer(), startServer()]);
      store = new SessionStore();
      store.login('secret-token');
    });

    afterEach(async () => {
      store.dispose();
      await Promise.all([apiServer.close(), thirdParty.close()]);
    });

    it('sends it to the baseURL origin and withholds it from another origin, though it sits in the defaults', async () => {
      const api = axios.create({ baseURL: apiServer.origin });
      bindAxios(store, api);
      expect(api.defaults.headers.common['Authorization']).toBe('Bearer secret-token');
      await api.get('/relative');
      await api.get(`${apiServer.origin}/absolute-same-origin`);
      await api.get(`${thirdParty.origin}/elsewhere`);
      expect(apiServer.seen.map((r) => r.authorization)).toEqual(['Bearer secret-token', 'Bearer secret-token']);
      expect(thirdParty.seen).toHaveLength(1);
      expect(thirdParty.seen[0]?.authorization).toBeUndefined();
    });

    it('sends it to an origin listed in allowedOrigins', async () => {
      const api = axios.create({ baseURL: apiServer.origin });
      bindAxios(store, api, { allowedOrigins: [thirdParty.origin] });
      await api.get(`${thirdParty.origin}/files`);
      expect(thirdParty.seen[0]?.authorization).toBe('Bearer secret-token');
    });

    it('treats the same server under another host spelling as another origin', async () => {
      const api = axios.create({ baseURL: apiServer.origin });
      bindAxios(store, api);
      await api.get(apiServer.origin.replace('127.0.0.1', 'localhost') + '/other-spelling');
      expect(apiServer.seen[0]?.authorization).toBeUndefined();
    });

    it('withholds it from URLs that only look relative: leading space, tab, backslashes', async () => {
      const api = axios.create();
      bindAxios(store, api, { allowedOrigins: [apiServer.origin] });
      const foreign = thirdParty.origin;
      for (const url of [
        ` ${foreign}/space`,
        `\n${foreign}/newline`,
        `\t${foreign}/tab`,
        `ht\ttp${foreign.slice(4)}/split-scheme`,
      ]) {
        await api.get(url);
      }
      await api.get('/x', { baseURL: ` ${foreign}` });
      expect(thirdParty.seen).toHaveLength(5);
      expect(thirdParty.seen.map((r) => r.authorization)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    });

    it('withholds a custom header on a redirect to another origin', async () => {
      const api = axios.create({ baseURL: apiServer.origin });
      bindAxios(store, api, { header: 'X-Api-Key', scheme: '' });
      await api.get(`/redirect?to=${encodeURIComponent(`${thirdParty.origin}/landed`)}`);
      expect(apiServer.seen[0]?.headers['x-api-key']).toBe('secret-token');
      expect(thirdParty.seen[0]?.path).toBe('/landed');
      expect(thirdParty.seen[0]?.headers['x-api-key']).toBeUndefined();
    });

    it('keeps a custom header on a redirect within the allowed origin', async () => {
      const api = axios.create({ baseURL: apiServer.origin });
      bindAxios(store, api, { header: 'X-Api-Key', scheme: '' });
      await api.get(`/redirect?to=${encodeURIComponent('/landed')}`);
      expect(apiServer.seen[1]?.headers['x-api-key']).toBe('secret-token');
    });

    it('withholds it when a request overrides baseURL with a foreign origin', async () => {
      const api = axios.create({ baseURL: apiServer.origin });
      bindAxios(store, api);
      await api.get('/x', { baseURL: thirdParty.origin });
      expect(thirdParty.seen[0]?.authorization).toBeUndefined();
    });
  });

  describe('origin matching (adapter fake)', () => {
    function bound(baseURL: string | undefined, allowedOrigins?: string[]) {
      const store = new SessionStore({ initial: 'tok' });
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter, ...(baseURL === undefined ? {} : { baseURL }) });
      bindAxios(store, api, allowedOrigins ? { allowedOrigins } : {});
      return async (url: string, config: Parameters<typeof api.get>[1] = {}) => {
        await api.get(url, config);
        return authOf(fake.sent.at(-1)) !== undefined;
      };
    }

    it.each([
      ['https://api.x.com.evil.net/steal', false],
      ['https://api.x.com@evil.net/steal', false],
      ['https://evil.net\\@api.x.com/steal', false],
      ['https://evil.net#https://api.x.com', false],
      ['http://api.x.com/downgrade', false],
      ['https://api.x.com:8443/other-port', false],
      ['//evil.net/protocol-relative', false],
      // axios joins these to baseURL ("https://api.x.com/ https://evil.net/..."): they go to api.x.com.
      [' https://evil.net/joined-to-base', true],
      ['\\\\evil.net/joined-to-base', true],
      ['?q=1', true],
      ['users/1', true],
      ['https://API.X.COM/case-insensitive-host', true],
      ['https://api.x.com:443/default-port', true],
      ['https://api.x.com/v2', true],
      ['/relative', true],
      ['relative', true],
    ])('with baseURL https://api.x.com, %s carries the token: %s', async (url, expected) => {
      const carries = bound('https://api.x.com');
      expect(await carries(url)).toBe(expected);
    });

    it('with no baseURL and no allowedOrigins, only relative URLs carry the token', async () => {
      const carries = bound(undefined);
      expect(await carries('/api/me')).toBe(true);
      expect(await carries('https://api.x.com/me')).toBe(false);
    });

    it('matches allowedOrigins exactly, not by prefix', async () => {
      const carries = bound(undefined, ['https://files.x.com']);
      expect(await carries('https://files.x.com/a')).toBe(true);
      expect(await carries('https://files.x.com.evil.net/a')).toBe(false);
      expect(await carries('https://files.x.co/a')).toBe(false);
    });

    it('judges the same tricks without a baseURL, and a per-request baseURL of backslashes', async () => {
      const carries = bound(undefined);
      for (const url of ['\\\\evil.net/x', '/\\evil.net/x', '/\t/evil.net/x', ' https://evil.net/x']) {
        expect(await carries(url)).toBe(false);
      }
      const withBase = bound('https://api.x.com');
      expect(await withBase('/x', { baseURL: '\\\\evil.net' })).toBe(false);
      expect(await withBase('/x', { baseURL: ' https://evil.net' })).toBe(false);
    });

    it('judges a per-request baseURL without a url by where axios sends it', async () => {
      const store = new SessionStore({ initial: 'tok' });
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      await api.request({ baseURL: 'https://evil.net/x' });
      expect(authOf(fake.sent[0])).toBeUndefined();
    });

    /** Runs `body` on a fake page of https://app.example.com whose base URI it may change. */
    async function onPage(baseURI: string, body: (page: { baseURI: string }) => Promise<void>): Promise<void> {
      const g = globalThis as { location?: unknown; document?: unknown };
      const page = { baseURI };
      g.location = { origin: 'https://app.example.com', protocol: 'https:' };
      g.document = page;
      try {
        await body(page);
      } finally {
        delete g.location;
        delete g.document;
      }
    }

    it('follows the page’s <base href>: relative URLs that it sends elsewhere carry no token', () =>
      onPage('https://app.example.com/', async (page) => {
        const carries = bound(undefined);
        expect(await carries('/me')).toBe(true);
        page.baseURI = 'https://cdn.other.example/';
        expect(await carries('/me')).toBe(false);
        page.baseURI = 'https://app.example.com/sub/';
        expect(await carries('/me')).toBe(true);
      }));

    it('withholds the token where the page’s <base href> sends a relative instance baseURL', () =>
      onPage('https://cdn.other.example/', async (page) => {
        // axios joins '/api' and 'me': the browser resolves '/api/me' against the <base href>.
        const carries = bound('/api');
        expect(await carries('me')).toBe(false);
        expect(await carries('/me', { baseURL: '/api' })).toBe(false);
        page.baseURI = 'https://app.example.com/sub/';
        expect(await carries('me')).toBe(true);
        const allowed = bound('/api', ['https://cdn.other.example']);
        page.baseURI = 'https://cdn.other.example/';
        expect(await allowed('me')).toBe(true);
      }));

    it('gives the token to an absolute instance baseURL whatever the page’s <base href>, and follows a baseURL changed later', () =>
      onPage('https://cdn.other.example/', async () => {
        const store = new SessionStore({ initial: 'tok' });
        const fake = fakeAdapter();
        const api = axios.create({ adapter: fake.adapter, baseURL: 'https://api.example.com' });
        bindAxios(store, api);
        await api.get('/me');
        api.defaults.baseURL = '/api';
        await api.get('/me');
        api.defaults.baseURL = 'https://api.example.com/v2';
        await api.get('/me');
        expect(fake.sent.map((c) => authOf(c))).toEqual(['Bearer tok', undefined, 'Bearer tok']);
      }));

    it('cannot be fooled by the host it resolves relative URLs against', async () => {
      const carries = bound(undefined);
      expect(await carries('http://a.rx-session.invalid/x')).toBe(false);
      expect(await carries('//B.RX-SESSION.invalid:8080/x')).toBe(false);
    });

    it('judges the URL again when an interceptor that runs later points the request elsewhere', async () => {
      const store = new SessionStore({ initial: 'tok' });
      const fake = fakeAdapter();
      const api = axios.create({ baseURL: 'https://api.x.com', adapter: fake.adapter });
      // Registered before binding, so it runs after the binding's interceptor.
      api.interceptors.request.use((config) => ({ ...config, url: 'https://evil.net/rewritten' }));
      bindAxios(store, api);
      await api.get('/me');
      expect(fake.sent[0]?.url).toBe('https://evil.net/rewritten');
      expect(authOf(fake.sent[0])).toBeUndefined();
    });

    it('judges a URL object by its origin', async () => {
      const carries = bound('https://api.x.com');
      expect(await carries(new URL('https://evil.net/x') as unknown as string)).toBe(false);
      const plain = bound(undefined, ['https://files.x.com']);
      expect(await plain(new URL('https://files.x.com/x') as unknown as string)).toBe(true);
    });

    it('never matches an opaque ("null") origin, even against a baseURL that has one', async () => {
      const carries = bound('myapp://localhost');
      expect(await carries('myapp://evil.example/x')).toBe(false);
      expect(await carries('/relative')).toBe(true);
    });

    it('finds the header under another casing set by other code', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter();
      const api = axios.create({ baseURL: 'https://api.x.com', adapter: fake.adapter });
      api.defaults.headers.common['authorization'] = 'placeholder';
      bindAxios(store, api);
      store.login('tok');
      await api.get('https://evil.example/x');
      await api.get('/public', { skipAuth: true });
      expect(fake.sent.map((c) => c.headers.get('authorization') ?? null)).toEqual([null, null]);
      store.logout();
      await api.get('/after');
      expect(fake.sent[2]?.headers.get('authorization') ?? null).toBeNull();
    });

    it('leaves a header of the caller’s own alone where the session’s token does not go', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter();
      const api = axios.create({ baseURL: 'https://api.x.com', adapter: fake.adapter });
      bindAxios(store, api);
      await api.get('/signed-out', { headers: { Authorization: 'Basic dXNlcjpwdw==' } });
      store.login('tok');
      await api.get('https://other.example/x', { headers: { Authorization: 'Bearer third-party' } });
      const first = await api.get('/mine');
      store.logout();
      await api.request(first.config); // a retried config of the ended session
      expect(fake.sent.map((c) => c.headers.get('Authorization') ?? null)).toEqual([
        'Basic dXNlcjpwdw==',
        'Bearer third-party',
        'Bearer tok',
        null,
      ]);
    });

    it('joins absolute URLs to baseURL when allowAbsoluteUrls is false, as axios does', async () => {
      const carries = bound('https://api.x.com');
      expect(await carries('https://evil.net/x', { allowAbsoluteUrls: false })).toBe(true);
    });

    it('follows a baseURL set on the instance after binding', async () => {
      const store = new SessionStore({ initial: 'tok' });
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      api.defaults.baseURL = 'https://late.x.com';
      await api.get('https://late.x.com/me');
      expect(authOf(fake.sent[0])).toBe('Bearer tok');
      api.defaults.baseURL = 'https://moved.x.com';
      await api.get('https://late.x.com/me');
      expect(authOf(fake.sent[1])).toBeUndefined();
    });
  });
});
