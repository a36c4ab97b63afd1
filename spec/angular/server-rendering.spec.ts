// First: it loads Angular's JIT compiler, which its partially compiled packages need.
import { inContext, rootInjector } from './support';
import { DOCUMENT } from '@angular/common';
import { provideLocationMocks } from '@angular/common/testing';
import { PLATFORM_ID, type EnvironmentInjector } from '@angular/core';
import { provideRouter } from '@angular/router';
import { SessionStore } from 'rx-session';
import { authGuard, PERSISTED_SESSION, provideSessionStore, withPersistedSession, withTabSync } from '../../lib/angular';

/**
 * Server-side rendering: Angular's server platform sets `PLATFORM_ID` to `'server'`, and Node
 * has no `localStorage` (but has a `BroadcastChannel` that every render of the process shares).
 */
const onServer = [
  { provide: PLATFORM_ID, useValue: 'server' },
  provideRouter([]),
  provideLocationMocks(),
  { provide: DOCUMENT, useValue: {} },
];

const injectors: EnvironmentInjector[] = [];
afterEach(() => {
  for (const injector of injectors.splice(0)) injector.destroy();
});

function render(providers: Parameters<typeof rootInjector>[0]): EnvironmentInjector {
  const injector = rootInjector(providers);
  injectors.push(injector);
  return injector;
}

describe('on the server (server-side rendering)', () => {
  it('withPersistedSession() without a storage renders signed out, keeping the session in memory for the render', async () => {
    expect('localStorage' in globalThis).toBe(false);
    const injector = render([provideSessionStore({}, withPersistedSession()), ...onServer]);
    const persisted = injector.get(PERSISTED_SESSION);
    await persisted.ready;
    const store = injector.get(SessionStore);
    expect(store.session.status).toBe('anonymous');
    expect(String(await inContext(injector, () => (authGuard as () => Promise<unknown>)()))).toBe('/login');
    store.login('server-token');
    expect(store.session.token).toBe('server-token');
  });

  it('withTabSync() shares nothing between renders through the process’s BroadcastChannel', async () => {
    const heard: unknown[] = [];
    const channel = new BroadcastChannel('rx-session');
    channel.onmessage = (event: MessageEvent) => heard.push(event.data);
    try {
      render([provideSessionStore({}, withTabSync()), ...onServer])
        .get(SessionStore)
        .login('render-token');
      const other = render([provideSessionStore({}, withTabSync()), ...onServer]);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(other.get(SessionStore).session.status).toBe('anonymous');
      expect(heard).toEqual([]);
    } finally {
      channel.close();
    }
  });

  it('in the browser, withTabSync() does talk to the other tabs (the case above is not vacuous)', async () => {
    const heard: unknown[] = [];
    const channel = new BroadcastChannel('rx-session');
    channel.onmessage = (event: MessageEvent) => heard.push(event.data);
    try {
      render([provideSessionStore({}, withTabSync()), { provide: PLATFORM_ID, useValue: 'browser' }]).get(SessionStore);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(heard).toEqual([expect.objectContaining({ kind: 'ask' })]);
    } finally {
      channel.close();
    }
  });
});
