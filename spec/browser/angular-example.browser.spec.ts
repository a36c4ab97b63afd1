/**
 * The Angular example (examples/angular, `npm run example:angular`) in Chromium, as a user
 * would try it: built with Angular's own tools (`ng build`), served with the examples' API on
 * 127.0.0.1 and a partner API on another origin. It runs twice: zoneless (Angular 21's
 * default) and with zone.js (`ng build -c zone`). HttpClient uses its default XHR backend.
 * Takes a screenshot (artifacts/).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  buildAngularExample,
  startAngularExample,
  type AngularExampleServer,
  type ChangeDetection,
} from '../../examples/angular/server';
import { launchBrowser, type Browser, type Tab } from './support';

jest.setTimeout(120_000);

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'artifacts');

/** Polls `ok()` (what the servers saw is in this process) every 25 ms, for up to 5 s. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe.each<ChangeDetection>(['zoneless', 'zone'])('the Angular example (%s)', (detection) => {
  let server: AngularExampleServer | undefined;
  let browser: Browser | undefined;
  let tab: Tab | undefined;

  beforeAll(async () => {
    const ms = await buildAngularExample(detection);
    process.stdout.write(`Angular example (${detection}): ng build took ${(ms / 1000).toFixed(1)} s\n`);
    server = await startAngularExample(0, detection);
    browser = await launchBrowser([new URL(server.url).origin, server.partner.origin]);
    const page = await browser.context.newPage();
    tab = { page, pageErrors: [], consoleErrors: [] };
    const { pageErrors, consoleErrors } = tab;
    page.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const the = (): { server: AngularExampleServer; browser: Browser; tab: Tab } => {
    if (server === undefined || browser === undefined || tab === undefined) throw new Error('the example did not start');
    return { server, browser, tab };
  };
  const seen = (to: string): AngularExampleServer['seen'] => the().server.seen.filter((r) => r.path === to);
  const status = (): Promise<string> => the().tab.page.locator('#status').innerText();
  const log = (): Promise<string> => the().tab.page.locator('#log').innerText();
  const logShows = async (line: string): Promise<void> => {
    await the().tab.page.waitForFunction((text) => document.getElementById('log')?.textContent.includes(text), line);
  };

  it('the guard sends a signed-out user to the login page; a login opens the profile, and a reload stays on it', async () => {
    const { server, tab } = the();
    await tab.page.goto(new URL('/profile', server.url).href);
    await tab.page.waitForURL(/\/login$/);
    await tab.page.waitForSelector('#status:not([data-status="restoring"])');
    expect(await status()).toBe('Signed out');

    await tab.page.click('#login');
    await tab.page.waitForURL(/\/profile$/);
    await tab.page.waitForSelector('#status[data-status="authenticated"]');
    expect(await status()).toBe('Signed in as ada');
    expect(await tab.page.locator('h2').innerText()).toBe('Profile of ada');
    // The login call is SKIP_AUTH: it carries no token.
    expect(seen('/api/login').map((r) => r.token)).toEqual([null]);

    // The guard waits for the stored session: a reload of /profile stays on it, with no new login.
    await tab.page.reload();
    await tab.page.waitForSelector('#status[data-status="authenticated"]');
    expect(tab.page.url()).toMatch(/\/profile$/);
    expect(seen('/api/login')).toHaveLength(1);
  });

  it('HttpClient stamps the token on requests to its origin, and sends none to a foreign origin', async () => {
    const { server, tab } = the();
    await tab.page.click('#me');
    await logShows('/api/me: 200, ada');
    expect(seen('/api/me').at(-1)?.token).toMatch(/^at-/);

    await tab.page.click('#partner');
    await logShows('partner API: token none');
    expect(server.partner.seen.map((r) => [r.path, r.token])).toEqual([['/whoami', null]]);
  });

  it('a 401 storm across HttpClient and an axios instance of the same store: one refresh, and every call answered', async () => {
    const { tab } = the();
    const refreshes = seen('/api/token').length;
    const meBefore = seen('/api/me').length;
    await tab.page.click('#storm');
    await logShows('storm: ');
    expect((await log()).split('\n').find((line) => line.startsWith('storm: '))).toBe(
      'storm: 10 of 10 answered 200 (5 by axios) after 1 refresh',
    );
    expect(seen('/api/token')).toHaveLength(refreshes + 1);
    // Ten went with the forgotten token, then ten again with the one new token.
    const calls = seen('/api/me').slice(meBefore);
    const tokens = [...new Set(calls.map((r) => r.token))];
    expect(tokens).toHaveLength(2);
    expect(calls.filter((r) => r.token === tokens[0])).toHaveLength(10);
    expect(calls.filter((r) => r.token === tokens[1])).toHaveLength(10);
  });

  it('a logout while the slow report is in flight aborts it, the UI shows signed out, and nothing leaves with the old token', async () => {
    const { tab } = the();
    await tab.page.click('#report');
    await until('the report request', () => seen('/api/report').length > 0);
    const report = seen('/api/report').at(-1);
    expect(report?.token).toMatch(/^at-/);

    await tab.page.click('#logout');
    await tab.page.waitForSelector('#status[data-status="anonymous"]');
    await tab.page.waitForURL(/\/login$/);
    expect(await status()).toBe('Signed out');
    await logShows('/api/report: cancelled, the session ended (user)');
    // The XHR really aborted: the server saw the socket close before its answer.
    await until('the server sees the report dropped', () => report?.aborted === true);

    // Nothing leaves with the old token afterwards.
    const after = the().server.seen.length;
    await tab.page.click('#me');
    await logShows('/api/me: 401');
    expect(
      the()
        .server.seen.slice(after)
        .map((r) => [r.path, r.token]),
    ).toEqual([['/api/me', null]]);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await tab.page.screenshot({ path: path.join(ARTIFACTS, `angular-example-${detection}.png`), fullPage: true });
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    expect(tab.pageErrors).toEqual([]);
    // Chromium logs each 4xx answer (the storm's 401s, the signed-out /api/me); nothing else.
    expect(tab.consoleErrors.filter((line) => !line.startsWith('Failed to load resource'))).toEqual([]);
    expect(the().browser.foreignRequests).toEqual([]);
  });
});
