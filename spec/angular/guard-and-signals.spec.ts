// First: it loads Angular's JIT compiler, which its partially compiled packages need.
import { inContext, rootInjector } from './support';
import { DOCUMENT } from '@angular/common';
import { provideLocationMocks } from '@angular/common/testing';
import type { EnvironmentInjector } from '@angular/core';
import { provideRouter, UrlTree } from '@angular/router';
import { memoryStorage, SessionStore } from 'rx-session';
import { authGuard, injectSession, provideSessionStore, withAuthGuard, withPersistedSession } from '../../lib/angular';
import { virtualClock } from '../support/virtual-clock';

let injector: EnvironmentInjector | undefined;
// The router, without a browser: no DOM is needed to decide a guard.
const routing = [provideRouter([]), provideLocationMocks(), { provide: DOCUMENT, useValue: {} }];
afterEach(() => {
  injector?.destroy();
  injector = undefined;
});

function guard(): unknown {
  // The guard reads neither the route nor the router state.
  return inContext(injector, () => (authGuard as () => unknown)());
}

describe('authGuard', () => {
  it('lets signed-in users through and sends the others to /login', () => {
    injector = rootInjector([provideSessionStore(), ...routing]);
    const denied = guard();
    expect(denied).toBeInstanceOf(UrlTree);
    expect(String(denied)).toBe('/login');
    injector.get(SessionStore).login('t');
    expect(guard()).toBe(true);
  });

  it('sends them where withAuthGuard says', () => {
    injector = rootInjector([provideSessionStore({}, withAuthGuard({ redirectTo: '/signin?next=profile' })), ...routing]);
    expect(String(guard())).toBe('/signin?next=profile');
    expect(() => withAuthGuard({ redirectTo: 'login' })).toThrow(/`redirectTo`/);
  });

  it('sends a user whose token expired while the machine slept to /login, ending the session, on a store without refresh', () => {
    const clock = virtualClock();
    injector = rootInjector([provideSessionStore({ clock }), ...routing]);
    const store = injector.get(SessionStore);
    const reasons: string[] = [];
    store.logout$.subscribe(({ reason }) => reasons.push(reason));
    store.login({ token: 't', expiresAt: clock.now() + 60_000 });
    clock.jump(120_000); // the wall clock moved on; the expiry timer has not fired yet
    expect(String(guard())).toBe('/login');
    expect(store.session.status).toBe('anonymous');
    expect(reasons).toEqual(['expired']);
  });

  it('lets a user whose token has not expired through, and does not end the session early', () => {
    const clock = virtualClock();
    injector = rootInjector([provideSessionStore({ clock }), ...routing]);
    const store = injector.get(SessionStore);
    store.login({ token: 't', expiresAt: clock.now() + 60_000 });
    clock.jump(59_999);
    expect(guard()).toBe(true);
    expect(store.session.status).toBe('authenticated');
  });

  it('waits for the stored session to be read before deciding', async () => {
    const storage = memoryStorage();
    // A session another run stored, read back asynchronously.
    await storage.setItem('rx-session', JSON.stringify({ v: 1, token: 'stored' }));
    const slow = {
      getItem: (k: string) => new Promise<string | null>((r) => setTimeout(() => r(storage.getItem(k) as string | null), 10)),
      setItem: (k: string, v: string) => storage.setItem(k, v),
      removeItem: (k: string) => storage.removeItem(k),
    };
    injector = rootInjector([provideSessionStore({}, withPersistedSession({ storage: slow })), ...routing]);
    const decision = guard();
    expect(decision).toBeInstanceOf(Promise);
    await expect(decision).resolves.toBe(true);
  });
});

describe('injectSession', () => {
  it('gives the session, isAuthenticated and the user as signals that follow the store', () => {
    injector = rootInjector([provideSessionStore<{ name: string }>()]);
    const auth = inContext(injector, () => injectSession<{ name: string }>());
    expect(auth.isAuthenticated()).toBe(false);
    expect(auth.user()).toBeNull();
    injector.get(SessionStore).login({ token: 't', user: { name: 'Ada' } });
    expect(auth.isAuthenticated()).toBe(true);
    expect(auth.user()).toEqual({ name: 'Ada' });
    expect(auth.session().status).toBe('authenticated');
  });
});
