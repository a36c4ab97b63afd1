import axios, { type AxiosAdapter, AxiosError, type AxiosResponse } from 'axios';
import { bindAxios, SessionStore } from '../../lib/index';

describe('a config the app sends again after a failure', () => {
  it('gets its own refresh and retry on a 401, like any new request', async () => {
    let valid = 'tok-1';
    let refreshes = 0;
    const store = new SessionStore({ refresh: () => Promise.resolve((valid = `tok-${++refreshes + 1}`)) });
    store.login('tok-1');
    valid = 'revoked'; // tok-1 no longer works
    let outage = true;
    const seen: string[] = [];
    const adapter: AxiosAdapter = (config) => {
      const auth = String(config.headers.get('Authorization'));
      seen.push(auth);
      const response: AxiosResponse = { data: {}, status: 200, statusText: 'OK', headers: {}, config, request: {} };
      if (auth !== `Bearer ${valid}`) {
        return Promise.reject(new AxiosError('401', 'ERR_BAD_REQUEST', config, {}, { ...response, status: 401 }));
      }
      if (outage) return Promise.reject(new AxiosError('503', 'ERR_BAD_RESPONSE', config, {}, { ...response, status: 503 }));
      return Promise.resolve(response);
    };
    const api = axios.create({ baseURL: 'https://api.example.com', adapter });
    bindAxios(store, api);

    // 401 → refresh → retried → 503 reaches the app.
    const err = (await api.get('/x').catch((e: unknown) => e)) as AxiosError;
    expect(err.response?.status).toBe(503);
    expect(refreshes).toBe(1);

    // Later: the outage is over, and the token was revoked meanwhile. The user clicks "retry".
    outage = false;
    valid = 'revoked-again';
    if (err.config === undefined) throw new Error('expected the failed request’s config');
    const again = await api.request(err.config).then(
      (r) => r.status,
      (e: unknown) => (e as AxiosError).response?.status,
    );
    expect(seen).toEqual(['Bearer tok-1', 'Bearer tok-2', 'Bearer tok-2', 'Bearer tok-3']);
    expect(refreshes).toBe(2);
    expect(again).toBe(200);
    store.dispose();
  });
});
