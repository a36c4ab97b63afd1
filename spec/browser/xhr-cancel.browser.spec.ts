/**
 * The logout fence in a real browser: rx-session puts its own lightweight signal
 * (`RequestSignal`, not a DOM `AbortSignal`) into `config.signal`; these specs prove that
 * axios' XHR adapter (and its fetch adapter) in headless Chromium honour it, down to
 * the socket the server sees closing.
 *
 * The callbacks passed to `page.evaluate` run in the page: they may use only what
 * `page.ts` put on `window` (types are imported for the compiler only).
 */
import type { Outcome, PageGlobals } from './page';
import { launchBrowser, startPageServer, type Browser, type PageServer, type Tab } from './support';

// Also when this file is picked up by a config with a shorter default.
jest.setTimeout(60_000);

type Store = InstanceType<PageGlobals['SessionStore']>;
type Api = ReturnType<PageGlobals['axios']['create']>;
type Adapter = 'xhr' | 'fetch';

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
  tab = await browser.open(`${server.origin}/`);
});

afterEach(async () => {
  await tab?.page.close();
  tab = undefined;
});

function setup(): { server: PageServer; browser: Browser; tab: Tab } {
  if (server === undefined || browser === undefined || tab === undefined) throw new Error('setup did not run');
  return { server, browser, tab };
}

/** The page threw nothing uncaught (listener errors re-thrown in a microtask would show here). */
async function expectNoPageErrors(t: Tab, b: Browser): Promise<void> {
  // Let queued microtasks and timers of the page run first.
  await t.page.evaluate(() => new Promise<void>((resolve) => setTimeout(resolve, 50)));
  expect(t.pageErrors).toEqual([]);
  expect(b.foreignRequests).toEqual([]);
}

/** Starts three `/slow` requests of a signed-in store in the page, and waits until the server has them. */
async function startSlowRequests(adapter: Adapter, token: string): Promise<number> {
  const { server: srv, tab: t } = setup();
  const inFlight = await t.page.evaluate(
    ({ adapter, token }) => {
      const w = window as unknown as PageGlobals;
      const store = new w.SessionStore();
      const api = w.axios.create({ baseURL: location.origin, adapter });
      w.bindAxios(store, api);
      store.login(token);
      w.spec.store = store;
      w.spec.api = api;
      w.spec.pending = [1, 2, 3].map((n) => w.outcome(api.get(`/slow?n=${n}`)));
      return store.inFlight;
    },
    { adapter, token },
  );
  await srv.until('3 requests to /slow', () => srv.requestsTo('/slow').length === 3);
  return inFlight;
}

/** Logs out in the page and reports how the three `/slow` requests and a later `/me` went. */
async function logoutAndCollect(): Promise<{
  inFlightBefore: number;
  inFlightAfterLogout: number;
  logouts: string[];
  slow: (Outcome | 'still pending')[];
  after: Outcome;
}> {
  const { tab: t } = setup();
  return t.page.evaluate(async () => {
    const w = window as unknown as PageGlobals;
    const store = w.spec.store as Store;
    const api = w.spec.api as Api;
    const logouts: string[] = [];
    store.logout$.subscribe((event) => logouts.push(event.reason));
    const inFlightBefore = store.inFlight;
    store.logout();
    const inFlightAfterLogout = store.inFlight; // the fence: nothing of the old session is left
    const slow = await Promise.all((w.spec.pending as Promise<Outcome>[]).map((p) => w.within(p, 3000)));
    const after = await w.outcome(api.get('/me?step=after-logout'));
    return { inFlightBefore, inFlightAfterLogout, logouts, slow, after };
  });
}

async function expectLogoutCancelsInFlight(adapter: Adapter, transport: string): Promise<void> {
  const { server: srv, browser: b, tab: t } = setup();
  const token = `tok-${adapter}-slow`;

  expect(await startSlowRequests(adapter, token)).toBe(3);
  expect(srv.requestsTo('/slow').map((r) => r.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`]);
  expect(srv.slowAborted()).toBe(0);

  const result = await logoutAndCollect();

  expect(result.inFlightBefore).toBe(3);
  expect(result.inFlightAfterLogout).toBe(0);
  expect(result.logouts).toEqual(['user']);
  expect(result.slow).toHaveLength(3);
  for (const outcome of result.slow) {
    expect(outcome).toMatchObject({ ok: false, transport });
    expect(outcome !== 'still pending' && outcome.error).toMatchObject({
      name: 'CanceledError',
      code: 'ERR_CANCELED',
      isCancel: true,
      signalKind: 'RequestSignal',
      signalAborted: true,
      reason: { isSessionError: true, name: 'SessionError', code: 'SESSION_ENDED', reason: 'user' },
    });
  }
  // Nothing with the old token leaves after the fence.
  expect(result.after).toMatchObject({ ok: true, status: 200, data: { authorization: null } });

  // The browser really dropped the three connections: the server saw them close unanswered.
  await srv.until('3 aborted /slow sockets', () => srv.slowAborted() === 3);
  expect(srv.slowAborted()).toBe(3);
  expect(srv.requestsTo('/me').map((r) => r.authorization)).toEqual([undefined]);

  await expectNoPageErrors(t, b);
}

describe('rx-session in headless Chromium', () => {
  test('stamps the bearer header on XHR requests and removes it after logout', async () => {
    const { server: srv, browser: b, tab: t } = setup();

    const result = await t.page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const store = new w.SessionStore();
      const api = w.axios.create({ baseURL: location.origin, adapter: 'xhr' });
      w.bindAxios(store, api);
      const before = await w.outcome(api.get('/me?step=before-login'));
      store.login('tok-xhr-1');
      const during = await w.outcome(api.get('/me?step=signed-in'));
      store.logout();
      const after = await w.outcome(api.get('/me?step=after-logout'));
      return { before, during, after, inFlight: store.inFlight, status: store.session.status };
    });

    expect(result.before).toMatchObject({ ok: true, transport: 'XMLHttpRequest', data: { authorization: null } });
    expect(result.during).toMatchObject({
      ok: true,
      transport: 'XMLHttpRequest',
      data: { authorization: 'Bearer tok-xhr-1' },
    });
    expect(result.after).toMatchObject({ ok: true, transport: 'XMLHttpRequest', data: { authorization: null } });
    expect(result.inFlight).toBe(0);
    expect(result.status).toBe('anonymous');
    // What reached the wire, not only what the page echoes.
    expect(srv.requestsTo('/me').map((r) => [r.path, r.authorization])).toEqual([
      ['/me?step=before-login', undefined],
      ['/me?step=signed-in', 'Bearer tok-xhr-1'],
      ['/me?step=after-logout', undefined],
    ]);

    await expectNoPageErrors(t, b);
  });

  test('logout cancels in-flight XHR requests with CanceledError and a SESSION_ENDED reason', async () => {
    await expectLogoutCancelsInFlight('xhr', 'XMLHttpRequest');
  });

  test('logout cancels in-flight fetch-adapter requests with CanceledError and a SESSION_ENDED reason', async () => {
    await expectLogoutCancelsInFlight('fetch', 'Request');
  });

  test("a caller's own AbortController cancels only its request over XHR", async () => {
    const { server: srv, browser: b, tab: t } = setup();

    await t.page.evaluate(() => {
      const w = window as unknown as PageGlobals;
      const store = new w.SessionStore();
      const api = w.axios.create({ baseURL: location.origin, adapter: 'xhr' });
      w.bindAxios(store, api);
      store.login('tok-own');
      const controller = new AbortController();
      w.spec.store = store;
      w.spec.controller = controller;
      w.spec.slow = w.outcome(api.get('/slow?own=1', { signal: controller.signal }));
      // In flight at the same time, and still in flight when the controller aborts.
      w.spec.me = w.outcome(api.get('/me?delay=400'));
    });
    await srv.until('/slow and /me arrived', () => srv.requestsTo('/slow').length === 1 && srv.requestsTo('/me').length === 1);

    const result = await t.page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const store = w.spec.store as Store;
      const inFlightBefore = store.inFlight;
      (w.spec.controller as AbortController).abort();
      const inFlightAfterAbort = store.inFlight;
      const slow = await w.within(w.spec.slow as Promise<Outcome>, 3000);
      const me = await w.within(w.spec.me as Promise<Outcome>, 3000);
      return { inFlightBefore, inFlightAfterAbort, slow, me, status: store.session.status, inFlight: store.inFlight };
    });

    expect(result.inFlightBefore).toBe(2);
    expect(result.inFlightAfterAbort).toBe(1); // only the aborted request left the session's scope
    expect(result.slow).toMatchObject({ ok: false, transport: 'XMLHttpRequest' });
    expect(result.slow !== 'still pending' && result.slow.error).toMatchObject({
      name: 'CanceledError',
      code: 'ERR_CANCELED',
      isCancel: true,
      signalKind: 'RequestSignal',
      signalAborted: true,
      // The caller's reason (the DOM's default AbortError), not the session's.
      reason: { isSessionError: false, name: 'AbortError' },
    });
    expect(result.me).toMatchObject({
      ok: true,
      status: 200,
      transport: 'XMLHttpRequest',
      data: { authorization: 'Bearer tok-own' },
    });
    expect(result.status).toBe('authenticated');
    expect(result.inFlight).toBe(0);

    await srv.until('the aborted /slow socket', () => srv.slowAborted() === 1);
    expect(srv.aborted()).toBe(1); // /me was not dropped
    expect(srv.requestsTo('/slow').map((r) => r.authorization)).toEqual(['Bearer tok-own']);

    await expectNoPageErrors(t, b);
  });
});
