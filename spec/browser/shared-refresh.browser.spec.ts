/**
 * The refresh the tabs share, in a real browser: two pages of one browser context (they share
 * `BroadcastChannel` and `navigator.locks`, as tabs do) against the page server's `/token`,
 * which rotates refresh tokens and revokes the whole grant when a used one is presented again,
 * as an OpenID provider does.
 *
 * Pages are opened with `?boot=shared` (`SharedBoot` in page.ts): a store with `refresh`, a
 * `refreshMargin` of one second, and `syncTabs()`. The callbacks passed to `page.evaluate`
 * run in the page.
 */
import type { PageGlobals, SharedBoot } from './page';
import { launchBrowser, startPageServer, type Browser, type PageServer, type Tab } from './support';

jest.setTimeout(120_000);

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
  for (const t of tabs) if (!t.page.isClosed()) await t.page.close();
  tabs = [];
});

async function openTab(query = ''): Promise<Tab> {
  if (server === undefined || browser === undefined) throw new Error('the browser or the page server did not start');
  const t = await browser.open(`${server.origin}/?boot=shared${query}`);
  tabs.push(t);
  return t;
}

function srv(): PageServer {
  if (server === undefined) throw new Error('the page server did not start');
  return server;
}

const tokenOf = (t: Tab): Promise<string | null> =>
  t.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as SharedBoot).store.session.token);

const waitForToken = (t: Tab, token: string | null, timeout = 5_000): Promise<unknown> =>
  t.page.waitForFunction(
    (want) => ((window as unknown as PageGlobals).spec.boot as SharedBoot).store.session.token === want,
    token,
    { timeout },
  );

/** Signs tab `t` in with the grant's first tokens, the access token expiring in `lifeMs`. */
const login = (t: Tab, lifeMs: number): Promise<void> =>
  t.page.evaluate((life) => {
    const { store } = (window as unknown as PageGlobals).spec.boot as SharedBoot;
    store.login({ token: 'at-0', refreshToken: 'rt-0', expiresAt: Date.now() + life });
  }, lifeMs);

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('syncTabs in Chromium: the tabs share one refresh (navigator.locks)', () => {
  it('both tabs reach expiry together, 20 times over: the server counts one refresh call each time, and never revokes the grant', async () => {
    const a = await openTab();
    const b = await openTab();
    const counted: number[] = [];
    for (let rep = 0; rep < 20; rep++) {
      srv().reset();
      // Both tabs hold the same token, due for a refresh within a millisecond or two of each other.
      await login(a, 1_600);
      await waitForToken(b, 'at-0');
      await Promise.all([waitForToken(a, 'at-1'), waitForToken(b, 'at-1')]);
      // Any second call (a tab that did not wait for the other) would have arrived by now.
      await pause(250);
      counted.push(srv().grant.calls);
      expect(srv().grant.revoked).toBe(false);
      expect([await tokenOf(a), await tokenOf(b)]).toEqual(['at-1', 'at-1']);
      await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as SharedBoot).store.logout());
      await waitForToken(b, null);
    }
    // The figure the issue asks for: refresh calls the server counted, per repetition.
    process.stdout.write(`two-tab expiry race: refresh calls per repetition ${JSON.stringify(counted)}\n`);
    expect(counted).toEqual(Array.from({ length: 20 }, () => 1));
    for (const t of [a, b]) expect(t.pageErrors).toEqual([]);
  });

  it('with persistSession too, a tab that gets the lock after the other refreshed takes the stored session: one call, no revocation', async () => {
    const a = await openTab('&persist');
    const b = await openTab('&persist');
    await a.page.evaluate(() => localStorage.clear());
    for (let rep = 0; rep < 3; rep++) {
      srv().reset();
      await login(a, 1_600);
      await waitForToken(b, 'at-0');
      await Promise.all([waitForToken(a, 'at-1'), waitForToken(b, 'at-1')]);
      await pause(250);
      expect(srv().grant).toMatchObject({ calls: 1, revoked: false });
      const stored = await b.page.evaluate(() => localStorage.getItem('rx-session'));
      expect(JSON.parse(stored ?? 'null')).toMatchObject({ token: 'at-1', refreshToken: 'rt-1' });
      await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as SharedBoot).store.logout());
      await waitForToken(b, null);
    }
  });

  it('another login stored meanwhile (another user’s) is no refresh of this one: the tab refreshes its own session, and never takes the other token', async () => {
    // Each tab on a channel of its own: B's logout and login reach A only through localStorage.
    const a = await openTab('&persist&channel=tab-a');
    await a.page.evaluate(() => localStorage.clear());
    await a.page.evaluate(() => {
      const { store } = (window as unknown as PageGlobals).spec.boot as SharedBoot;
      store.login({ token: 'at-0', refreshToken: 'rt-0', user: 'ada', expiresAt: Date.now() + 3_600_000 });
    });
    const b = await openTab('&persist&channel=tab-b'); // restores Ada's login from localStorage
    await waitForToken(b, 'at-0');
    await b.page.evaluate(() => {
      const { store } = (window as unknown as PageGlobals).spec.boot as SharedBoot;
      store.logout();
      store.login({ token: 'grace-token', refreshToken: 'grace-rt', user: 'grace', expiresAt: Date.now() + 7_200_000 });
    });

    const refreshed = await a.page.evaluate(async () => {
      const { store } = (window as unknown as PageGlobals).spec.boot as SharedBoot;
      const session = await store.refresh();
      return { token: session.token, user: session.user };
    });

    expect(refreshed).toEqual({ token: 'at-1', user: 'ada' });
    expect(srv().grant).toMatchObject({ calls: 1, revoked: false });
    expect(await a.page.evaluate(() => ((window as unknown as PageGlobals).spec.boot as SharedBoot).logouts)).toEqual([]);
    for (const t of [a, b]) expect(t.pageErrors).toEqual([]);
  });

  it('the tab holding the refresh lock is closed mid-refresh: the lock is released, and the other tab refreshes on its own', async () => {
    const a = await openTab();
    const b = await openTab();
    await login(a, 3_600_000);
    await waitForToken(b, 'at-0');
    // Tab A's refresh call never gets an answer: it holds the lock while it waits.
    srv().grant.hangNext = true;
    await a.page.evaluate(() => {
      void ((window as unknown as PageGlobals).spec.boot as SharedBoot).store.refresh().catch(() => undefined);
    });
    await srv().until("tab A's refresh call", () => srv().grant.calls === 1);
    const fromB = b.page.evaluate(() =>
      ((window as unknown as PageGlobals).spec.boot as SharedBoot).store.refresh().then((s) => s.token),
    );
    // Tab B waits for the lock: no second call while A holds it.
    await pause(300);
    expect(srv().grant.calls).toBe(1);

    await a.page.close();

    await expect(fromB).resolves.toBe('at-1');
    expect(srv().grant).toMatchObject({ calls: 2, revoked: false });
    expect(b.pageErrors).toEqual([]);
  });
});
