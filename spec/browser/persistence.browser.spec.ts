/**
 * `persistSession` in a real browser: `localStorage` across a reload, corrupt values and a
 * storage that throws, with what the page's own server (node:http on 127.0.0.1) receives.
 *
 * The page is opened with `?boot=persist`: its script creates a store, persists it to
 * `localStorage` and subscribes to `session$` right after, as an app would at start-up
 * (`PersistBoot` in page.ts). The callbacks passed to `page.evaluate` run in the page.
 */
import type { PageGlobals, PersistBoot } from './page';
import { launchBrowser, startPageServer, type Browser, type PageServer, type Tab } from './support';

jest.setTimeout(60_000);

let server: PageServer | undefined;
let browser: Browser | undefined;
let tab: Tab | undefined;

beforeAll(async () => {
  server = await startPageServer();
  browser = await launchBrowser(server.origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(async () => {
  if (server === undefined || browser === undefined) throw new Error('the browser or the page server did not start');
  server.reset();
  tab = await browser.open(`${server.origin}/?boot=persist`);
  await tab.page.evaluate(() => localStorage.clear());
});

afterEach(async () => {
  await tab?.page.close();
  tab = undefined;
});

function setup(): { server: PageServer; browser: Browser; tab: Tab } {
  if (server === undefined || browser === undefined || tab === undefined) throw new Error('setup did not run');
  return { server, browser, tab };
}

/** Reloads the page and waits for its script to have run again. */
async function reload(t: Tab): Promise<void> {
  await t.page.reload({ waitUntil: 'load' });
  await t.page.waitForFunction(() => (window as unknown as { rxReady?: boolean }).rxReady === true);
}

/** What the page's boot saw: `session$` statuses, event types and problems, the token, and the stored value. */
function bootState(t: Tab): Promise<{ statuses: string[]; events: string[]; token: string | null; stored: string | null }> {
  return t.page.evaluate(() => {
    const boot = (window as unknown as PageGlobals).spec.boot as PersistBoot;
    return {
      statuses: boot.statuses,
      events: boot.events.map((e) =>
        e.type === 'storage-error' ? `${e.type}:${e.operation}:${e.problem}:${e.errorName ?? ''}` : e.type,
      ),
      token: boot.store.session.token,
      stored: localStorage.getItem('rx-session'),
    };
  });
}

describe('persistSession in Chromium', () => {
  it('a reload restores the session with no signed-out first emission, and its first request carries the token', async () => {
    const { server: srv, tab: t } = setup();
    await t.page.evaluate(() => {
      ((window as unknown as PageGlobals).spec.boot as PersistBoot).store.login({ token: 'kept-across-reload', user: { id: 7 } });
    });
    await reload(t);
    const state = await bootState(t);
    expect(state.statuses).toEqual(['authenticated']);
    expect(state.token).toBe('kept-across-reload');
    expect(state.events).toEqual(['login']);
    const auth = await t.page.evaluate(async () => {
      const res = await ((window as unknown as PageGlobals).spec.boot as PersistBoot).api('/me');
      return ((await res.json()) as { authorization: string | null }).authorization;
    });
    expect(auth).toBe('Bearer kept-across-reload');
    expect(srv.requestsTo('/me').map((r) => r.authorization)).toEqual(['Bearer kept-across-reload']);
  });

  it('a logout removes the stored session: the next reload starts signed out', async () => {
    const { tab: t } = setup();
    await t.page.evaluate(() => {
      const { store } = (window as unknown as PageGlobals).spec.boot as PersistBoot;
      store.login('short-lived');
      store.logout();
    });
    await reload(t);
    expect(await bootState(t)).toEqual({ statuses: ['anonymous'], events: [], token: null, stored: null });
  });

  it.each([
    ['invalid JSON', '{"v":1,"token":"half', 'invalid-json'],
    ['a token with CR/LF', JSON.stringify({ v: 1, token: 'evil\r\nX-Injected: 1' }), 'invalid-session'],
    ['a wrong shape', JSON.stringify({ v: 1, token: 42 }), 'invalid-shape'],
  ])(
    'corrupt storage (%s): signed out after the reload, the key removed, a storage-error event, and no token sent',
    async (_name, raw, problem) => {
      const { server: srv, tab: t } = setup();
      await t.page.evaluate((value) => localStorage.setItem('rx-session', value), raw);
      await reload(t);
      expect(await bootState(t)).toEqual({
        statuses: ['anonymous'],
        events: [`storage-error:read:${problem}:`],
        token: null,
        stored: null,
      });
      await t.page.evaluate(async () => {
        await ((window as unknown as PageGlobals).spec.boot as PersistBoot).api('/me');
      });
      expect(srv.requestsTo('/me').map((r) => r.authorization)).toEqual([undefined]);
      expect(t.pageErrors).toEqual([]);
    },
  );

  it('a storage that throws (SecurityError on read, QuotaExceededError on write): the app starts, and the session works in memory', async () => {
    const { server: srv, tab: t } = setup();
    await t.page.addInitScript(() => {
      Storage.prototype.getItem = () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      };
      Storage.prototype.setItem = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    await reload(t);
    await t.page.evaluate(async () => {
      const { store, api } = (window as unknown as PageGlobals).spec.boot as PersistBoot;
      store.login('in-memory-only');
      await api('/me');
    });
    const seen = await t.page.evaluate(() => {
      const boot = (window as unknown as PageGlobals).spec.boot as PersistBoot;
      return {
        statuses: boot.statuses,
        events: boot.events.map((e) =>
          e.type === 'storage-error' ? `${e.operation}:${e.problem}:${e.errorName ?? ''}` : e.type,
        ),
        text: JSON.stringify(boot.events),
      };
    });
    expect(seen.statuses).toEqual(['anonymous', 'authenticated']);
    expect(seen.events).toEqual(['read:unreadable:SecurityError', 'login', 'write:unwritable:QuotaExceededError']);
    expect(seen.text).not.toContain('in-memory-only');
    expect(srv.requestsTo('/me').map((r) => r.authorization)).toEqual(['Bearer in-memory-only']);
    expect(t.pageErrors).toEqual([]);
  });
});
