/**
 * The origin rule in a real browser: the token goes only to relative URLs, the `baseURL`'s
 * origin and `allowedOrigins`, and what only *looks* relative is judged by where Chromium
 * actually sends it. Chromium's URL parser treats `\` as `/` in http(s) URLs, removes tabs
 * and newlines anywhere and strips leading spaces, so `'\\\\host/x'`, `'/\\host/x'`,
 * `'/\t/host/x'` and `' http://host/x'` all leave the page for `host`.
 *
 * The other origin is a second server on 127.0.0.1 (another port) that answers CORS, so
 * every request the browser sends there arrives and is recorded with its headers,
 * preflights included: a token on its way would show as a preflight asking for
 * `authorization`, then as the header itself. Each case asserts on what that server
 * received, with axios' XHR adapter and with its fetch adapter.
 *
 * The callbacks passed to `page.evaluate` run in the page: they may use only what
 * `page.ts` put on `window` (types are imported for the compiler only).
 */
import type { Outcome, PageGlobals, ProbeOptions } from './page';
import {
  launchBrowser,
  startOtherOriginServer,
  startPageServer,
  type Browser,
  type OtherOriginServer,
  type PageServer,
  type Tab,
} from './support';

// Also when this file is picked up by a config with a shorter default.
jest.setTimeout(60_000);

type Adapter = ProbeOptions['adapter'];

let server: PageServer | undefined;
let other: OtherOriginServer | undefined;
let browser: Browser | undefined;
let tab: Tab | undefined;

beforeAll(async () => {
  server = await startPageServer();
  other = await startOtherOriginServer(server.origin);
  browser = await launchBrowser([server.origin, other.origin]);
  // One tab for the file: every case builds its own store and instance in it.
  tab = await browser.open(`${server.origin}/`);
});

afterAll(async () => {
  await browser?.close();
  await other?.close();
  await server?.close();
});

beforeEach(() => {
  server?.reset();
  other?.reset();
});

afterEach(async () => {
  if (tab === undefined || browser === undefined) return;
  // Let queued microtasks and timers of the page run, then nothing may have been thrown
  // and nothing may have gone anywhere but the two servers.
  await tab.page.evaluate(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
  expect(tab.pageErrors).toEqual([]);
  expect(browser.foreignRequests).toEqual([]);
});

function setup(): { server: PageServer; other: OtherOriginServer; tab: Tab } {
  if (server === undefined || other === undefined || tab === undefined) throw new Error('setup did not run');
  return { server, other, tab };
}

/** In the page: a fresh store signed in with `token`, a fresh bound instance, one GET of `url`. */
function probe(options: ProbeOptions): Promise<Outcome> {
  return setup().tab.page.evaluate((o) => (window as unknown as PageGlobals).probe(o), options);
}

/** Where each adapter's request shows up in the outcome (`res.request`). */
const TRANSPORT: Record<Adapter, string> = { xhr: 'XMLHttpRequest', fetch: 'Request' };

/**
 * URLs that axios does not take for absolute (with a `baseURL` it joins them to it; with
 * none it hands them to the browser as they are), but that Chromium resolves to `host`.
 * Each ends in `/x?case=<tag>-<kind>`, which keeps the cases apart on the server.
 */
const LOOKALIKES: [name: string, kind: string, url: (host: string) => string][] = [
  ['two backslashes', 'bsbs', (host) => `\\\\${host}/x`],
  ['slash, backslash', 'slbs', (host) => `/\\${host}/x`],
  ['slash, tab, slash', 'tab', (host) => `/\t/${host}/x`],
  ['a leading space', 'space', (host) => ` http://${host}/x`],
];

function lookalikes(host: string, tag: string): string[] {
  return LOOKALIKES.map(([, kind, url]) => `${url(host)}?case=${tag}-${kind}`);
}

describe.each<Adapter>(['xhr', 'fetch'])('the token and other origins, with the %s adapter in Chromium', (adapter) => {
  const transport = TRANSPORT[adapter];

  describe('no baseURL, no allowedOrigins: the other origin never receives the token', () => {
    // The URLs are built in the test: the other server's port is known only after beforeAll.
    const cases: [name: string, kind: string, url: (host: string) => string][] = [
      ...LOOKALIKES.map(([name, kind, url]): [string, string, (host: string) => string] => [
        `${name}: ${JSON.stringify(url('<host:port>'))}`,
        kind,
        url,
      ]),
      ['an absolute URL: "http://<host:port>/x"', 'abs', (host) => `http://${host}/x`],
    ];

    test.each(cases)('%s', async (_name, kind, urlFor) => {
      const { server: srv, other: oth } = setup();
      const path = `/x?case=${adapter}-nobase-${kind}`;
      const url = `${urlFor(oth.host)}?case=${adapter}-nobase-${kind}`;
      const token = `tok-${adapter}-leak-probe`;

      const result = await probe({ adapter, token, url });

      // The browser really sent it to the other origin (the case is not vacuous)...
      expect(result).toMatchObject({ ok: true, status: 200, transport, data: { authorization: null, path } });
      // ...and what arrived there: one simple GET, no preflight (a token would need one), no token.
      expect(oth.seen.map((r) => ({ method: r.method, path: r.path, authorization: r.authorization }))).toEqual([
        { method: 'GET', path, authorization: undefined },
      ]);
      expect(oth.seen[0]?.origin).toBe(srv.origin);
      expect(srv.requestsTo('/x')).toEqual([]);
    });
  });

  test('a relative URL and the baseURL origin receive the token', async () => {
    const { server: srv, other: oth, tab: t } = setup();
    const origin = await t.page.evaluate(() => location.origin);
    expect(origin).toBe(srv.origin);
    const token = `tok-${adapter}-own`;

    const relative = await probe({ adapter, token, baseURL: origin, url: '/me?case=relative' });
    const absolute = await probe({ adapter, token, baseURL: origin, url: `${origin}/me?case=absolute` });

    expect(relative).toMatchObject({ ok: true, status: 200, transport, data: { authorization: `Bearer ${token}` } });
    expect(absolute).toMatchObject({ ok: true, status: 200, transport, data: { authorization: `Bearer ${token}` } });
    expect(srv.requestsTo('/me').map((r) => [r.path, r.authorization])).toEqual([
      ['/me?case=relative', `Bearer ${token}`],
      ['/me?case=absolute', `Bearer ${token}`],
    ]);
    expect(oth.seen).toEqual([]);
  });

  test('with baseURL set, the lookalikes are joined to it and stay on the page origin', async () => {
    const { server: srv, other: oth } = setup();
    const token = `tok-${adapter}-joined`;
    const outcomes: Outcome[] = [];
    for (const url of lookalikes(oth.host, `${adapter}-base`)) {
      outcomes.push(await probe({ adapter, token, baseURL: srv.origin, url }));
    }

    // axios joins them to the baseURL (`<base>/<url>`): the page server answers (404: the
    // path is odd), and it is the instance's own origin, so the token is in order there.
    for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: false, transport });
    const onPage = srv.seen.filter((r) => r.path.includes('case='));
    expect(onPage).toHaveLength(4);
    for (const request of onPage) expect(request.authorization).toBe(`Bearer ${token}`);
    expect(oth.seen).toEqual([]);
  });

  test('a relative baseURL that the page’s <base href> sends to the other origin carries no token there', async () => {
    const { server: srv, other: oth, tab: t } = setup();
    const token = `tok-${adapter}-base-href`;
    const path = `/api/x?case=${adapter}-base-href`;
    await t.page.evaluate((href) => {
      const base = document.createElement('base');
      base.href = href;
      document.head.append(base);
    }, `${oth.origin}/`);
    let result: Outcome;
    try {
      result = await probe({ adapter, token, baseURL: '/api', url: `x?case=${adapter}-base-href` });
    } finally {
      await t.page.evaluate(() => document.querySelectorAll('base').forEach((b) => b.remove()));
    }

    // The browser resolved '/api/x' against the <base href>: the other origin answered...
    expect(result).toMatchObject({ ok: true, status: 200, transport, data: { authorization: null, path } });
    // ...with one simple GET, no preflight (a token would need one), no token.
    expect(oth.seen.map((r) => ({ method: r.method, path: r.path, authorization: r.authorization }))).toEqual([
      { method: 'GET', path, authorization: undefined },
    ]);
    expect(srv.requestsTo('/api/x')).toEqual([]);
  });

  test('allowedOrigins: an absolute URL to the other origin receives the token', async () => {
    const { server: srv, other: oth } = setup();
    const token = `tok-${adapter}-allowed`;
    const path = `/x?case=${adapter}-allowed`;

    const result = await probe({ adapter, token, allowedOrigins: [oth.origin], url: `${oth.origin}${path}` });

    expect(result).toMatchObject({ ok: true, status: 200, transport, data: { authorization: `Bearer ${token}`, path } });
    // The browser asks first (the preflight never carries the header itself), then sends it.
    expect(oth.seen.map((r) => ({ method: r.method, path: r.path, authorization: r.authorization }))).toEqual([
      { method: 'OPTIONS', path, authorization: undefined },
      { method: 'GET', path, authorization: `Bearer ${token}` },
    ]);
    expect(oth.seen[0]?.requestHeaders?.split(',').map((h) => h.trim())).toContain('authorization');
    expect(srv.seen).toEqual([]);
  });
});
