import axios, { AxiosError, type AxiosInstance } from 'axios';
import { bindAxios, isSessionError, SessionStore } from '../../lib/index';
import { authOf, fakeAdapter } from '../support/fake-adapter';
import { gate } from '../support/outcome';

function setup(options?: Parameters<typeof bindAxios>[2], config: Parameters<typeof axios.create>[0] = {}) {
  const store = new SessionStore();
  const fake = fakeAdapter();
  const api = axios.create({ baseURL: 'https://api.example.com', adapter: fake.adapter, ...config });
  const unbind = bindAxios(store, api, options);
  return { store, api, unbind, ...fake };
}

describe('bindAxios', () => {
  describe('defaults follow the stream', () => {
    it('sets and deletes the instance default header on every emission', () => {
      const { store, api } = setup();
      expect(api.defaults.headers.common['Authorization']).toBeUndefined();
      store.login('t1');
      expect(api.defaults.headers.common['Authorization']).toBe('Bearer t1');
      store.update({ token: 't2' });
      expect(api.defaults.headers.common['Authorization']).toBe('Bearer t2');
      store.logout();
      expect(api.defaults.headers.common['Authorization']).toBeUndefined();
    });

    it('keeps the token out of requests until the fence stamps it: interceptors, errors and copies of the defaults never hold it', async () => {
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter });
      const store = new SessionStore();
      const inInterceptor: unknown[] = [];
      api.interceptors.request.use((config) => {
        inInterceptor.push(config.headers.get('Authorization'));
        return config;
      });
      bindAxios(store, api);
      store.login('t1');
      // Readable on the defaults, but not enumerable: axios does not merge it into requests.
      expect(api.defaults.headers.common['Authorization']).toBe('Bearer t1');
      expect('Authorization' in api.defaults.headers.common).toBe(true);
      expect(Object.keys(api.defaults.headers.common)).not.toContain('Authorization');
      expect(JSON.stringify(api.defaults)).not.toContain('t1');
      await api.get('/me');
      expect(inInterceptor).toEqual([undefined]);
      expect(authOf(fake.sent[0])).toBe('Bearer t1');
      expect(
        authOf(
          await axios
            .create({ ...api.defaults, adapter: fake.adapter })
            .get('/copy')
            .then((r) => r.config),
        ),
      ).toBeUndefined();
      store.dispose();
    });

    it('a header set to false or null (axios: do not send it) is respected: no token on that request', async () => {
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter });
      const store = new SessionStore({ initial: 't1' });
      bindAxios(store, api);
      await api.get('/a', { headers: { Authorization: false } });
      await api.get('/b', { headers: { authorization: false } });
      await api.get('/c', { headers: { Authorization: null } });
      await api.get('/d', { headers: { authorization: null } });
      await api.get('/e');
      expect(fake.sent.map((c) => c.headers.toJSON()['Authorization'] ?? c.headers.toJSON()['authorization'])).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        'Bearer t1',
      ]);
      store.dispose();
    });

    it('a null in the instance defaults keeps the token off every request it reaches, as in plain axios', async () => {
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter, headers: { Authorization: null } });
      api.defaults.headers.post['Authorization'] = null;
      const store = new SessionStore({ initial: 't1' });
      bindAxios(store, api);
      await api.get('/a');
      await api.get('/b', { headers: { Authorization: 'Bearer mine' } });
      const other = axios.create({ adapter: fake.adapter });
      other.defaults.headers.post['Authorization'] = null;
      bindAxios(store, other);
      await other.post('/c');
      await other.get('/d');
      expect(fake.sent.map((c) => c.headers.toJSON()['Authorization'])).toEqual([undefined, 'Bearer t1', undefined, 'Bearer t1']);
      store.dispose();
    });

    it('unbind() gives back a value the app wrote over the default header while bound, as an ordinary header', async () => {
      const fake = fakeAdapter();
      const api = axios.create({ adapter: fake.adapter });
      const store = new SessionStore({ initial: 't1' });
      const unbind = bindAxios(store, api);
      api.defaults.headers.common['Authorization'] = 'Bearer app-key';
      unbind();
      expect(Object.keys(api.defaults.headers.common)).toContain('Authorization');
      await api.get('/after');
      expect(authOf(fake.sent[0])).toBe('Bearer app-key');
      store.dispose();
    });

    it('has the defaults updated before session$ subscribers hear of the change', () => {
      const { store, api } = setup();
      const seen: unknown[] = [];
      store.session$.subscribe(() => seen.push(api.defaults.headers.common['Authorization']));
      store.login('t1');
      store.logout();
      expect(seen).toEqual([undefined, 'Bearer t1', undefined]);
    });

    it('applies the current session at bind time', () => {
      const store = new SessionStore({ initial: 'early' });
      const api = axios.create();
      bindAxios(store, api);
      expect(api.defaults.headers.common['Authorization']).toBe('Bearer early');
    });

    it('never touches the global axios.defaults', () => {
      const { store } = setup();
      store.login('t1');
      expect(axios.defaults.headers.common['Authorization']).toBeUndefined();
      expect(JSON.stringify(axios.defaults.headers)).not.toContain('t1');
    });

    it('uses a custom header and scheme, or the raw token with scheme ""', async () => {
      const a = setup({ header: 'X-Api-Key', scheme: '' });
      a.store.login('k1');
      await a.api.get('/x');
      expect(authOf(a.sent[0], 'X-Api-Key')).toBe('k1');
      expect(authOf(a.sent[0])).toBeUndefined();
      const b = setup({ scheme: 'Token' });
      b.store.login('k2');
      await b.api.get('/x');
      expect(authOf(b.sent[0])).toBe('Token k2');
    });
  });

  describe('the header is stamped at dispatch time', () => {
    it('stamps the token that is current when the request is dispatched, not when get() merged defaults', async () => {
      const { store, api, sent } = setup();
      store.login('old');
      // An async interceptor added later runs first and delays dispatch past a rotation.
      api.interceptors.request.use(async (config) => {
        await Promise.resolve();
        store.update({ token: 'rotated' });
        return config;
      });
      await api.get('/x');
      expect(authOf(sent[0])).toBe('Bearer rotated');
    });

    it('removes the header when the request is merged signed in and dispatched after a logout', async () => {
      const { store, api, sent } = setup();
      store.login('a');
      const held = gate();
      api.interceptors.request.use(async (config) => {
        await held.promise;
        return config;
      });
      const pending = api.get('/x');
      store.logout();
      held.open();
      await expect(pending).rejects.toMatchObject({ code: 'ERR_CANCELED' });
      expect(sent).toHaveLength(0);
    });

    it('stamps a request merged while anonymous if a login happened before dispatch', async () => {
      const { store, api, sent } = setup();
      api.interceptors.request.use(async (config) => {
        await Promise.resolve();
        return config;
      });
      const pending = api.get('/x');
      store.login('fresh');
      await pending;
      expect(authOf(sent[0])).toBe('Bearer fresh');
    });

    it('owns the header: a value set on a request is replaced by the current token', async () => {
      const { store, api, sent } = setup();
      store.login('session-token');
      await api.get('/x', { headers: { Authorization: 'Bearer stale-token' } });
      expect(authOf(sent[0])).toBe('Bearer session-token');
    });

    it('keeps an auth header of the caller’s own on a skipAuth request', async () => {
      const { store, api, sent } = setup();
      store.login('session-token');
      await api.get('/x', { skipAuth: true, headers: { Authorization: 'Basic dXNlcjpwdw==' } });
      expect(authOf(sent[0])).toBe('Basic dXNlcjpwdw==');
    });

    it('a retry of a failed request carries the current token', async () => {
      const { store, api, sent } = setup();
      store.login('first');
      const response = await api.get('/x');
      store.update({ token: 'second' });
      await api.request(response.config);
      expect(authOf(sent[1])).toBe('Bearer second');
    });
  });

  describe('reentrancy', () => {
    it('a session$ subscriber that requests on login sends the new token', async () => {
      const { store, api, sent } = setup();
      const requests: Promise<unknown>[] = [];
      store.session$.subscribe((s) => {
        if (s.token !== null) requests.push(api.get('/on-login'));
      });
      store.login('fresh');
      await Promise.all(requests);
      expect(authOf(sent[0])).toBe('Bearer fresh');
    });

    it('a subscriber that logs out inside the login emission cancels what it started, and leaves no token', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter({ hold: true });
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      const outcomes: Promise<unknown>[] = [];
      store.session$.subscribe((s) => {
        if (s.token === null) return;
        outcomes.push(api.get('/started').catch((e: unknown) => axios.isCancel(e)));
        store.logout();
        outcomes.push(api.get('/after').then((r) => r.status));
      });
      store.login('short-lived');
      fake.held[1]?.respond(204);
      await expect(Promise.all(outcomes)).resolves.toEqual([true, 204]);
      expect(api.defaults.headers.common['Authorization']).toBeUndefined();
      expect(authOf(fake.sent[1])).toBeUndefined();
    });
  });

  describe('skipAuth', () => {
    it('sends no token and does not tie the request to the session', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter({ hold: true });
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      store.login('t1');
      const pending = api.get('/public', { skipAuth: true });
      await Promise.resolve();
      expect(store.inFlight).toBe(0);
      store.logout();
      fake.held[0]?.respond(200, 'fine');
      await expect(pending).resolves.toMatchObject({ data: 'fine' });
      expect(authOf(fake.sent[0])).toBeUndefined();
    });
  });

  describe('redaction', () => {
    it('lists the header in `redact`, so serialised errors never show the token', async () => {
      const store = new SessionStore();
      const api = axios.create({ baseURL: 'https://api.example.com', adapter: fakeAdapter().adapter });
      bindAxios(store, api);
      store.login('super-secret-token');
      api.interceptors.response.use((r) => Promise.reject(new AxiosError('boom', 'ERR_BAD_RESPONSE', r.config)));
      const error = (await api.get('/x').catch((e: unknown) => e)) as AxiosError;
      expect(error).toBeInstanceOf(AxiosError);
      expect(JSON.stringify(error)).not.toContain('super-secret-token');
      expect(JSON.stringify(error.toJSON())).not.toContain('super-secret-token');
      expect(JSON.stringify(error)).toContain('[REDACTED');
    });

    it('redacts errors raised by other interceptors before the request was stamped', async () => {
      const { store, api } = setup();
      store.login('super-secret-token');
      api.interceptors.request.use(async (config) => {
        await Promise.resolve();
        throw new AxiosError('refused by an app interceptor', 'ERR_APP', config);
      });
      const error = (await api.get('/x').catch((e: unknown) => e)) as AxiosError;
      expect(error.message).toBe('refused by an app interceptor');
      expect(JSON.stringify(error)).not.toContain('super-secret-token');
      expect(store.inFlight).toBe(0);
    });

    it('keeps redacting when a request brings its own `redact` list', async () => {
      const { store, api } = setup();
      store.login('super-secret-token');
      api.interceptors.response.use((r) => Promise.reject(new AxiosError('boom', 'ERR_BAD_RESPONSE', r.config)));
      const error = (await api.get('/x', { redact: ['X-Other'] }).catch((e: unknown) => e)) as AxiosError;
      expect(JSON.stringify(error)).not.toContain('super-secret-token');
    });
  });

  describe('several instances and unbinding', () => {
    it('drives any number of instances from one store', async () => {
      const store = new SessionStore();
      const one = fakeAdapter();
      const two = fakeAdapter();
      const a = axios.create({ adapter: one.adapter });
      const b = axios.create({ adapter: two.adapter });
      bindAxios(store, a);
      bindAxios(store, b, { header: 'X-Token', scheme: '' });
      store.login('t');
      await Promise.all([a.get('/1'), b.get('/2')]);
      expect(authOf(one.sent[0])).toBe('Bearer t');
      expect(authOf(two.sent[0], 'X-Token')).toBe('t');
    });

    it('unbinding removes the header, the interceptors and the fence', async () => {
      const { store, api, unbind, sent, adapter } = setup();
      const pristine = axios.create().defaults.transformRequest;
      store.login('t');
      expect(api.defaults.adapter).not.toBe(adapter);
      unbind();
      unbind();
      expect(api.defaults.headers.common['Authorization']).toBeUndefined();
      expect(api.defaults.adapter).toBe(adapter);
      expect(api.defaults.transformRequest).toEqual(pristine);
      store.update({ token: 't2' });
      await api.get('/x');
      expect(authOf(sent[0])).toBeUndefined();
      expect(store.inFlight).toBe(0);
    });

    it('an instance can be bound again after unbinding, but not twice at once', () => {
      const store = new SessionStore();
      const api = axios.create();
      const unbind = bindAxios(store, api);
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- jest types its asymmetric matchers as any
      expect(() => bindAxios(store, api)).toThrow(expect.objectContaining({ code: 'ALREADY_BOUND' }));
      unbind();
      expect(() => bindAxios(store, api)).not.toThrow();
    });

    it('dispose() unbinds every instance and cancels what is in flight', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter({ hold: true });
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      store.login('t');
      const pending = api.get('/x').catch((e: unknown) => e);
      store.dispose();
      const error = (await pending) as AxiosError;
      expect(axios.isCancel(error)).toBe(true);
      expect(isSessionError(error.config?.signal && (error.config.signal as { reason?: unknown }).reason, 'SESSION_ENDED')).toBe(
        true,
      );
      expect(api.defaults.headers.common['Authorization']).toBeUndefined();
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- jest types its asymmetric matchers as any
      expect(() => bindAxios(store, axios.create())).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    });
  });

  it('tells a store from another copy of rx-session (ESM and CommonJS both loaded) from a disposed one', () => {
    let OtherStore!: typeof SessionStore;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a second copy of the library, as a dual load makes
      OtherStore = (require('../../lib/index') as { SessionStore: typeof SessionStore }).SessionStore;
    });
    const foreign = new OtherStore();
    expect(() => bindAxios(foreign, axios.create())).toThrow(TypeError);
    expect(() => bindAxios(foreign, axios.create())).toThrow(/another copy of rx-session/);
    foreign.dispose();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- jest types its asymmetric matchers as any
    expect(() => bindAxios(foreign, axios.create())).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  describe('bad input', () => {
    /** `[a, <hole>, b]`: what `[a, , b]` makes. */
    const sparse = (a: string, b: string): string[] => {
      const list = [a];
      list[2] = b;
      return list;
    };
    let store: SessionStore;
    let api: AxiosInstance;
    beforeEach(() => {
      store = new SessionStore();
      api = axios.create();
    });

    it.each([
      [{ header: '' }, /option `header`/],
      [{ header: 'Bad Header' }, /option `header`/],
      [{ header: 'X\r\nY' }, /option `header`/],
      [{ scheme: 'Bear er' }, /option `scheme`/],
      [{ scheme: 7 }, /option `scheme`/],
      [{ allowedOrigins: 'https://a.com' }, /option `allowedOrigins`/],
      [{ allowedOrigins: ['https://a.com/path'] }, /`allowedOrigins\[0\]`/],
      [{ allowedOrigins: ['not a url'] }, /`allowedOrigins\[0\]`/],
      [{ allowedOrigins: ['https://ok.com', 3] }, /`allowedOrigins\[1\]`/],
      [{ allowedOrigins: ['https://*.example.com'] }, /`allowedOrigins\[0\]`/],
      [{ allowedOrigins: ['wss://api.example.com'] }, /`allowedOrigins\[0\]` must be an http\(s\) scheme/],
      [{ allowedOrigins: ['ftp://files.example.com'] }, /`allowedOrigins\[0\]`/],
      [{ allowedOrigins: sparse('https://ok.com', 'https://also.ok.com') }, /`allowedOrigins\[1\]`/],
      [{ allowedOrigin: ['https://a.com'] }, /unknown option `allowedOrigin`/],
    ])('refuses %j with a TypeError naming the option', (options, message) => {
      expect(() => bindAxios(store, api, options as never)).toThrow(TypeError);
      expect(() => bindAxios(store, api, options as never)).toThrow(message);
      expect(api.interceptors.request).toEqual(axios.create().interceptors.request);
      expect(() => bindAxios(store, api)).not.toThrow();
    });

    it('refuses something that is not an axios instance, or the global axios', () => {
      expect(() => bindAxios(store, {} as never)).toThrow(/needs an axios instance/);
      expect(() => bindAxios({} as never, api)).toThrow(/needs a SessionStore/);
      expect(() => bindAxios(store, axios)).toThrow(/global `axios`/);
    });
  });
});
