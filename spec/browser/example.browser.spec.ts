/**
 * The browser example (`npm run example:browser`) in Chromium, as a user would try it: two
 * tabs of one browser context, a login, a reload, a slow report in one tab and a logout in
 * the other. Takes a screenshot of each tab (artifacts/).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startExampleServer, type ExampleServer } from '../../examples/browser/server';
import { launchBrowser, type Browser, type Tab } from './support';

jest.setTimeout(90_000);

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'artifacts');

let server: ExampleServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  server = await startExampleServer();
  browser = await launchBrowser(new URL(server.url).origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(): Promise<Tab> {
  if (server === undefined || browser === undefined) throw new Error('the browser or the example server did not start');
  const page = await browser.context.newPage();
  const tab: Tab = { page, pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (err) => tab.pageErrors.push(`${err.name}: ${err.message}`));
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForSelector('#status:not([data-status="restoring"])');
  return tab;
}

const statusOf = (tab: Tab): Promise<string> => tab.page.locator('#status').innerText();

it('the browser example: a login survives a reload, a second tab follows, and a logout in one tab cancels the slow report in the other', async () => {
  const seen = (): ExampleServer['seen'] => server?.seen ?? [];
  const a = await open();
  expect(await statusOf(a)).toBe('Signed out');

  await a.page.click('#login');
  await a.page.waitForSelector('#status[data-status="authenticated"]');
  expect(await statusOf(a)).toBe('Signed in as ada');

  // A reload restores the session from localStorage: signed in, with no new login call.
  const logins = seen().filter((r) => r.path === '/api/login').length;
  await a.page.reload();
  await a.page.waitForSelector('#status:not([data-status="restoring"])');
  expect(await statusOf(a)).toBe('Signed in as ada');
  expect(seen().filter((r) => r.path === '/api/login')).toHaveLength(logins);

  // A second tab follows the first.
  const b = await open();
  expect(await statusOf(b)).toBe('Signed in as ada');
  await b.page.click('#me');
  await b.page.waitForFunction(() => document.getElementById('result')?.textContent.includes('200'));

  // Tab B starts the slow report; tab A logs out while it is in flight.
  await b.page.click('#report');
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    if (!ok()) throw new Error(`timed out waiting for ${what}`);
  };
  await until('the report request', () => seen().some((r) => r.path === '/api/report'));
  const report = seen()
    .filter((r) => r.path === '/api/report')
    .at(-1);
  expect(report?.token).toMatch(/^at-/);
  await a.page.click('#logout');

  await b.page.waitForSelector('#status[data-status="anonymous"]');
  await b.page.waitForFunction(() => document.getElementById('result')?.textContent.includes('cancelled'));
  expect(await b.page.locator('#result').innerText()).toBe('/api/report: cancelled, the session ended (remote)');
  await until('the server sees the report dropped', () => report?.aborted === true);

  // Nothing leaves with the old token afterwards.
  const after = seen().length;
  await b.page.evaluate(async () => {
    const { api } = (window as unknown as { example: { api: (path: string) => Promise<Response> } }).example;
    await api('/api/me');
  });
  expect(
    seen()
      .slice(after)
      .map((r) => r.token),
  ).toEqual([null]);

  await b.page.click('#refresh-log');
  await b.page.waitForFunction(() => document.getElementById('server')?.textContent.includes('dropped by the browser'));
  mkdirSync(ARTIFACTS, { recursive: true });
  await a.page.screenshot({ path: path.join(ARTIFACTS, 'browser-example-tab-a.png'), fullPage: true });
  const shot = await b.page.screenshot({ path: path.join(ARTIFACTS, 'browser-example-tab-b.png'), fullPage: true });
  expect(shot.subarray(1, 4).toString()).toBe('PNG');
  for (const tab of [a, b]) expect(tab.pageErrors).toEqual([]);
});
