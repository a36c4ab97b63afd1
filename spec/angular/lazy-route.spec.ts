import { rootInjector } from './support';
import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { createEnvironmentInjector, type EnvironmentInjector } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { SessionStore } from 'rx-session';
import { provideSessionStore, sessionInterceptor, withSessionInterceptor } from '../../lib/angular';
import { startServer, type TestServer } from '../support/test-server';

let server: TestServer;
const injectors: EnvironmentInjector[] = [];
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const i of injectors.reverse()) i.destroy();
  injectors.length = 0;
  await server.close();
});

type Echo = { authorization: string | null };

describe('provideSessionStore in a lazy route (a child environment injector)', () => {
  it("the route's interceptor follows the route's store", async () => {
    const root = rootInjector([provideHttpClient(withFetch())]);
    injectors.push(root);
    const route = createEnvironmentInjector(
      [
        provideSessionStore({}, withSessionInterceptor({ allowedOrigins: [server.origin] })),
        provideHttpClient(withFetch(), withInterceptors([sessionInterceptor])),
      ],
      root,
    );
    injectors.push(route);
    const store = route.get(SessionStore);
    store.login('route-token');
    const echo = await firstValueFrom(route.get(HttpClient).get<Echo>(`${server.origin}/a`));
    expect(echo.authorization).toBe('Bearer route-token');
  });

  it("with a store in the app too, the route's requests carry the route's token", async () => {
    const root = rootInjector([
      provideHttpClient(withFetch()),
      provideSessionStore({}, withSessionInterceptor({ allowedOrigins: [server.origin] })),
    ]);
    injectors.push(root);
    root.get(SessionStore).login('app-token');
    const route = createEnvironmentInjector(
      [
        provideSessionStore({}, withSessionInterceptor({ allowedOrigins: [server.origin] })),
        provideHttpClient(withFetch(), withInterceptors([sessionInterceptor])),
      ],
      root,
    );
    injectors.push(route);
    route.get(SessionStore).login('route-token');
    const echo = await firstValueFrom(route.get(HttpClient).get<Echo>(`${server.origin}/a`));
    expect(echo.authorization).toBe('Bearer route-token');
  });
});
