/**
 * `syncTabs` in a real browser: two or three pages of one browser context (they share
 * `BroadcastChannel`, as tabs do) against the page server on 127.0.0.1, which records the
 * `Authorization` it receives and sees aborted sockets.
 *
 * Pages are opened with `?boot=tabs`: a store that follows the other tabs, with no storage
 * (`TabsBoot` in page.ts). The callbacks passed to `page.evaluate` run in the page.
 */
import type { PageGlobals, TabsBoot } from './page';
import { launchBrowser, startPageServer, type Browser, type PageServer, type Tab } from './support';

jest.setTimeout(60_000);

let server: PageServer | undefined;
let browser: Browser | undefined;
let tabs: Tab[] = [];

beforeAll(async () => {
  server = await startPageServer();
  browser = await launchBrowser(server.origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(() => {
  server?.reset();
});

afterEach(async () => {
  for (const t of tabs) await t.page.close();
  tabs = [];
});

async function openTab(): Promise<Tab> {
  if (server === undefined || browser === undefined) throw new Error('the browser or the page server did not start');
  const t = await browser.open(`${server.origin}/?boot=tabs`);
  tabs.push(t);
  return t;
}

function srv(): PageServer {
  if (server === undefined) throw new Error('the page server did not start');
  return server;
}

const tokenOf = (t: Tab): Promise<string | null> =>
  t.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as TabsBoot).store.session.token);

const waitForToken = (t: Tab, token: string | null): Promise<unknown> =>
  t.page.waitForFunction(
    (want) => ((window as unknown as PageGlobals).spec.boot as TabsBoot).store.session.token === want,
    token,
    {
      timeout: 5_000,
    },
  );

describe('syncTabs in Chromium', () => {
  it('a login in tab A signs tab B in, and B’s requests carry the token', async () => {
    const a = await openTab();
    const b = await openTab();
    await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as TabsBoot).store.login('from-tab-a'));
    await waitForToken(b, 'from-tab-a');
    await b.page.evaluate(async () => {
      await ((window as unknown as PageGlobals).spec.boot as TabsBoot).api('/me');
    });
    expect(
      srv()
        .requestsTo('/me')
        .map((r) => r.authorization),
    ).toEqual(['Bearer from-tab-a']);
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });

  it('a logout in tab A cancels tab B’s slow in-flight request, and the server never sees the token afterwards', async () => {
    const a = await openTab();
    const b = await openTab();
    await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as TabsBoot).store.login('shared-token'));
    await waitForToken(b, 'shared-token');
    await b.page.evaluate(() => {
      const { api } = (window as unknown as PageGlobals).spec.boot as TabsBoot;
      const spec = (window as unknown as PageGlobals).spec;
      spec.slow = api('/slow').then(
        () => 'answered',
        (err: unknown) =>
          ((window as unknown as PageGlobals).getSessionEnd(err)?.reason as string | undefined) ?? `other: ${String(err)}`,
      );
    });
    await srv().until('the slow request arrives', () => srv().requestsTo('/slow').length === 1);
    const before = srv().seen.length;
    await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as TabsBoot).store.logout());
    const settled = await b.page.evaluate(() => (window as unknown as PageGlobals).spec.slow as Promise<string>);
    expect(settled).toBe('remote');
    await srv().until('the server sees the abort', () => srv().slowAborted() === 1);
    expect(await b.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as TabsBoot).logouts)).toEqual(['remote']);
    await b.page.evaluate(async () => {
      await ((window as unknown as PageGlobals).spec.boot as TabsBoot).api('/me');
    });
    const after = srv().seen.slice(before);
    expect(after.map((r) => r.authorization)).toEqual([undefined]);
    expect(
      srv()
        .requestsTo('/slow')
        .map((r) => r.authorization),
    ).toEqual(['Bearer shared-token']);
  });

  it('a new tab gets the session from an open tab within 500 ms, with no storage', async () => {
    const a = await openTab();
    await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as TabsBoot).store.login('no-storage-token'));
    const started = Date.now();
    const b = await openTab();
    await waitForToken(b, 'no-storage-token');
    expect(Date.now() - started).toBeLessThan(2_000); // page load included; the handover itself is one round of messages
    const handover = await b.page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          // A third tab's store in this page: time from its syncTabs() to the session.
          const g = window as unknown as PageGlobals;
          const store = new g.SessionStore();
          const t0 = performance.now();
          const sub = store.session$.subscribe((s) => {
            if (s.token !== null) {
              resolve(performance.now() - t0);
              queueMicrotask(() => sub.unsubscribe());
            }
          });
          g.syncTabs(store, {});
        }),
    );
    expect(handover).toBeLessThan(500);
    expect(await b.page.evaluate(() => localStorage.length)).toBe(0);
    expect(await tokenOf(a)).toBe('no-storage-token');
  });
});
