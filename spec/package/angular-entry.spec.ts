/**
 * rx-session/angular as a user gets it: the tarball installed with Angular, imported from
 * ESM in Node (one SessionStore class for both entries, a real HttpClient through the
 * interceptor), and type-checked under `strict`. Needs a fresh `npm run build`.
 */
import { assertFreshBuild, createConsumer, type Consumer } from './consumer';

jest.setTimeout(180_000);

let consumer: Consumer;
let remove = (): void => undefined;

beforeAll(async () => {
  assertFreshBuild();
  consumer = await createConsumer(['@angular/core', '@angular/common', '@angular/compiler', '@angular/router']);
  remove = consumer.remove;
});

afterAll(() => {
  remove();
});

const APP = `
import '@angular/compiler';
import http from 'node:http';
import { createEnvironmentInjector, Injector, runInInjectionContext, provideZonelessChangeDetection, ɵINJECTOR_SCOPE } from '@angular/core';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { firstValueFrom } from 'rxjs';
import { SessionStore } from 'rx-session';
import { injectSession, provideSessionStore, sessionInterceptor, withSessionInterceptor } from 'rx-session/angular';

const server = http.createServer((req, res) => res.end(JSON.stringify(req.headers.authorization ?? null)));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = 'http://127.0.0.1:' + server.address().port;
const injector = createEnvironmentInjector(
  [{ provide: ɵINJECTOR_SCOPE, useValue: 'root' }, provideZonelessChangeDetection(), provideSessionStore(undefined, withSessionInterceptor({ allowedOrigins: [origin] })),
   provideHttpClient(withFetch(), withInterceptors([sessionInterceptor]))],
  Injector.NULL,
);
const store = injector.get(SessionStore);
const auth = runInInjectionContext(injector, () => injectSession());
store.login('tok-1');
const sent = await firstValueFrom(injector.get(HttpClient).get(origin + '/me'));

injector.destroy();
server.close();
console.log(JSON.stringify({ sameClass: store instanceof SessionStore, signedIn: auth.isAuthenticated(), sent, disposed: store.session.status }));
`;

describe('rx-session/angular from the tarball', () => {
  it('imports in Node next to the root entry: one SessionStore, and the interceptor runs over a real HttpClient', async () => {
    consumer.write('app.mjs', APP);
    expect(JSON.parse(await consumer.node('app.mjs'))).toEqual({
      sameClass: true,
      signedIn: true,
      sent: 'Bearer tok-1',
      disposed: 'anonymous',
    });
  });

  it('type-checks an app config under strict, with moduleResolution bundler', async () => {
    consumer.write(
      'app.config.ts',
      `import type { ApplicationConfig } from '@angular/core';
import { inject } from '@angular/core';
import { HttpContext, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { provideRouter, type Routes } from '@angular/router';
import { SessionStore } from 'rx-session';
import { authGuard, injectSession, provideSessionStore, sessionInterceptor, SKIP_AUTH, withAuthGuard, withPersistedSession, withSessionInterceptor } from 'rx-session/angular';

interface User { name: string }
const routes: Routes = [{ path: 'profile', canActivate: [authGuard], canMatch: [authGuard], loadComponent: () => Promise.resolve(class {}) }];
export const appConfig: ApplicationConfig = {
  providers: [
    provideSessionStore<User>({ refresh: async () => ({ token: 't' }) }, withPersistedSession(), withAuthGuard({ redirectTo: '/login' }),
      withSessionInterceptor({ allowedOrigins: ['https://api.example.com'], shouldRefresh: (e) => e.status === 401 })),
    provideHttpClient(withFetch(), withInterceptors([sessionInterceptor])),
    provideRouter(routes),
  ],
};
export function useIt(): string | undefined {
  const store: SessionStore<User> = inject(SessionStore) as SessionStore<User>;
  const auth = injectSession<User>();
  const name: string | undefined = auth.user()?.name;
  const signedIn: boolean = auth.isAuthenticated() && store.session.status === 'authenticated';
  void new HttpContext().set(SKIP_AUTH, signedIn);
  return name;
}
`,
    );
    consumer.write(
      'tsconfig.angular.json',
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['app.config.ts'],
      }),
    );
    await expect(consumer.tsc('tsconfig.angular.json')).resolves.toBe('');
  });
});
