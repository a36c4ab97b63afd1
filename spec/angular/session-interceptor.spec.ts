// First: it loads Angular's JIT compiler, which its partially compiled packages need.
import { rootInjector } from './support';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpClient,
  HttpContext,
  HttpErrorResponse,
  HttpResponse,
  provideHttpClient,
  withFetch,
  withInterceptors,
  type HttpInterceptorFn,
} from '@angular/common/http';
import { inject, type EnvironmentInjector } from '@angular/core';
import axios from 'axios';
import { firstValueFrom, lastValueFrom, Observable } from 'rxjs';
import { bindAxios, getSessionEnd, SessionStore, type SessionStoreOptions } from 'rx-session';
import { provideSessionStore, sessionInterceptor, SKIP_AUTH, withSessionInterceptor } from '../../lib/angular';
import { startServer, type TestServer } from '../support/test-server';

let server: TestServer;
let injector: EnvironmentInjector | undefined;

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  injector?.destroy();
  injector = undefined;
  await server.close();
});

function app(options: SessionStoreOptions = {}, allowedOrigins = [server.origin]): { store: SessionStore; http: HttpClient } {
  injector = rootInjector([
    provideSessionStore(options, withSessionInterceptor({ allowedOrigins })),
    provideHttpClient(withFetch(), withInterceptors([sessionInterceptor])),
  ]);
  return { store: injector.get(SessionStore), http: injector.get(HttpClient) };
}

type Echo = { path: string; authorization: string | null };

describe('sessionInterceptor over HttpClient', () => {
  it('stamps the current token as each request is sent, and none while signed out', async () => {
    const { store, http } = app();
    expect((await firstValueFrom(http.get<Echo>(`${server.origin}/a`))).authorization).toBeNull();
    store.login('token-1');
    expect((await firstValueFrom(http.get<Echo>(`${server.origin}/b`))).authorization).toBe('Bearer token-1');
    store.login('token-2');
    expect((await firstValueFrom(http.get<Echo>(`${server.origin}/c`))).authorization).toBe('Bearer token-2');
  });

  it('sends the token only to allowed origins, matched exactly by parsed origin', async () => {
    const { store, http } = app({}, []);
    store.login('secret');
    const echo = await firstValueFrom(http.get<Echo>(`${server.origin}/foreign`));
    expect(echo.authorization).toBeNull();
    expect(server.seen.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('a logout aborts the requests in flight: the server sees the socket close, the caller an HttpErrorResponse of the ended session', async () => {
    const { store, http } = app();
    store.login('token-1');
    const report = lastValueFrom(http.get(`${server.origin}/slow`)).catch((err: unknown) => err);
    await server.arrived(1);
    store.logout();
    const err = await report;
    expect(err).toBeInstanceOf(HttpErrorResponse);
    expect(getSessionEnd(err)?.code).toBe('SESSION_ENDED');
    await server.droppedAtLeast(1);
    server.release();
    // Nothing of the old session leaves afterwards.
    await firstValueFrom(http.get(`${server.origin}/after`));
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer token-1', undefined]);
  });

  it.each([
    ['a success', 200],
    ['an error', 500],
  ])('an answer (%s) settled just before a logout never reaches the caller after the logout', async (_, status) => {
    // The backend answers at once, and the app logs out a few microtasks later: whichever
    // microtask the logout lands in, the caller sees the answer before it, or the session's end.
    const afterTheFence: { hops: number; end: string | undefined }[] = [];
    for (let hops = 0; hops <= 6; hops++) {
      let loggedOut: Promise<void> | undefined;
      const backend: HttpInterceptorFn = () => {
        const store = inject(SessionStore);
        return new Observable((out) => {
          if (status === 200) {
            out.next(new HttpResponse({ status, body: 'of the old session' }));
            out.complete();
          } else {
            out.error(new HttpErrorResponse({ status }));
          }
          let later = Promise.resolve();
          for (let i = 0; i < hops; i++) later = later.then(() => undefined);
          loggedOut = later.then(() => store.logout());
        });
      };
      injector?.destroy();
      const root = rootInjector([
        provideSessionStore(),
        provideHttpClient(withFetch(), withInterceptors([sessionInterceptor, backend])),
      ]);
      injector = root;
      const store = root.get(SessionStore);
      store.login('token-1');
      const seen = await new Promise<{ status: string; end: string | undefined }>((resolve) => {
        root
          .get(HttpClient)
          .get('/me', { responseType: 'text' })
          .subscribe({
            next: () => resolve({ status: store.session.status, end: undefined }),
            error: (err: unknown) => resolve({ status: store.session.status, end: getSessionEnd(err)?.code }),
          });
      });
      await loggedOut;
      if (seen.status === 'anonymous' && seen.end !== 'SESSION_ENDED') afterTheFence.push({ hops, end: seen.end });
    }
    expect(afterTheFence).toEqual([]);
  });

  it('SKIP_AUTH: no token, and a logout does not cancel the request', async () => {
    const { store, http } = app();
    store.login('token-1');
    const context = new HttpContext().set(SKIP_AUTH, true);
    const health = firstValueFrom(http.get<Echo>(`${server.origin}/slow`, { context }));
    await server.arrived(1);
    store.logout();
    server.release();
    await expect(health).resolves.toEqual({ late: true });
    expect(server.seen[0]?.authorization).toBeUndefined();
  });

  it('unsubscribing cancels its request alone', async () => {
    const { store, http } = app();
    store.login('token-1');
    const sub = http.get(`${server.origin}/slow`).subscribe();
    await server.arrived(1);
    sub.unsubscribe();
    await server.droppedAtLeast(1);
    expect(store.session.status).toBe('authenticated');
  });

  it('is disposed with its injector', () => {
    const { store } = app();
    injector?.destroy();
    injector = undefined;
    expect(() => store.login('x')).toThrow(/disposed/i);
  });

  it('rejects bad options with a TypeError naming them', () => {
    expect(() => withSessionInterceptor({ allowedOrigins: ['https://a.example/path'] })).toThrow(/allowedOrigins\[0\]/);
    expect(() => withSessionInterceptor({ header: 'bad header' })).toThrow(/`header`/);
    expect(() => withSessionInterceptor({ shouldRefresh: 1 as never })).toThrow(/`shouldRefresh`/);
    expect(() => provideSessionStore({ refresh: 'no' as never })).toThrow(TypeError);
    // Checked when provided, as `new SessionStore(null)` would refuse it, not at the first injection.
    expect(() => provideSessionStore(null as never)).toThrow(/options must be an object; got null/);
  });
});

describe('a 401 storm across the interceptor and an axios instance of the same store', () => {
  it('runs one refresh, and each request is retried once with the new token', async () => {
    let refreshes = 0;
    const seen: (string | undefined)[] = [];
    const api = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      const ok = req.headers.authorization === 'Bearer fresh';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    try {
      const { store, http: client } = app(
        {
          refresh: async () => {
            refreshes++;
            await new Promise((resolve) => setTimeout(resolve, 20));
            return { token: 'fresh' };
          },
        },
        [origin],
      );
      const ax = axios.create({ baseURL: origin });
      const unbind = bindAxios(store, ax);
      store.login('stale');
      const results = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => firstValueFrom(client.get<{ ok: boolean }>(`${origin}/ng/${i}`))),
        ...Array.from({ length: 5 }, (_, i) => ax.get<{ ok: boolean }>(`/ax/${i}`).then((r) => r.data)),
      ]);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(refreshes).toBe(1);
      expect(seen.filter((a) => a === 'Bearer fresh')).toHaveLength(10);
      unbind();
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
