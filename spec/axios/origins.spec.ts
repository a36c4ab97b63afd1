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
