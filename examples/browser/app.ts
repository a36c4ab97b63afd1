/**
 * The browser example's page: a vanilla app with one session store that survives a reload
 * (`persistSession`), agrees across tabs (`syncTabs`), and calls its API with a fetch
 * function that follows the store (`createFetch`). Served by server.ts.
 */
import { createFetch, getSessionEnd, persistSession, SessionStore, syncTabs, type Credentials, type Session } from 'rx-session';

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user?: { name: string };
}

const credentials = (body: TokenResponse): Credentials<{ name: string }> => ({
  token: body.access_token,
  refreshToken: body.refresh_token,
  expiresAt: Date.now() + body.expires_in * 1000,
  ...(body.user ? { user: body.user } : {}),
});

const store = new SessionStore<{ name: string }>({
  // The access token lives 30 s: the store refreshes it before it expires, in one tab for all.
  refreshMargin: 10_000,
  refresh: async (session, { signal }) => {
    const res = await fetch('/api/token', { method: 'POST', body: session.refreshToken ?? '', signal });
    if (!res.ok) throw Object.assign(new Error(`refresh refused (${res.status})`), { response: { status: res.status } });
    return credentials((await res.json()) as TokenResponse);
  },
});
const persisted = persistSession(store); // localStorage: the session survives a reload
syncTabs(store); // every tab of this origin follows the same session
const api = createFetch(store); // same-origin requests carry the token

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const status = $('status');
const result = $('result');
const log = (line: string): void => {
  const el = $('log');
  el.textContent = `${new Date().toLocaleTimeString()}  ${line}\n${el.textContent}`.slice(0, 2_000);
};

function render(session: Session<{ name: string }>): void {
  const signedIn = session.status === 'authenticated';
  status.dataset.status = session.status;
  status.textContent = signedIn ? `Signed in as ${session.user?.name ?? 'someone'}` : 'Signed out';
  $('signed-in').hidden = !signedIn;
  $('signed-out').hidden = signedIn;
}
// Never a "signed out" flash while the storage is read (at once with localStorage).
store.session$.subscribe((session) => persisted.restoring || render(session));
void persisted.ready.then(render);
store.events$.subscribe((event) => log(`event: ${event.type}`));
store.logout$.subscribe(({ reason }) => log(`logged out (${reason})`));

$('login').addEventListener('click', () => {
  void (async () => {
    const res = await fetch('/api/login', { method: 'POST', body: ($('name') as HTMLInputElement).value });
    store.login(credentials((await res.json()) as TokenResponse));
  })();
});
$('logout').addEventListener('click', () => store.logout());

async function call(path: string): Promise<void> {
  result.textContent = `${path}: waiting…`;
  try {
    const res = await api(path);
    result.textContent = `${path}: ${res.status} ${await res.text()}`;
  } catch (err) {
    const end = getSessionEnd(err);
    result.textContent = end ? `${path}: cancelled, the session ended (${end.reason})` : `${path}: failed (${String(err)})`;
  }
}
$('me').addEventListener('click', () => void call('/api/me'));
$('report').addEventListener('click', () => void call('/api/report'));

async function showServerLog(): Promise<void> {
  const seen = (await (await fetch('/api/log')).json()) as { path: string; token: string | null; aborted: boolean }[];
  $('server').textContent = seen
    .map((r) => `${r.path.padEnd(12)} ${r.token ?? 'no token'}${r.aborted ? '  (dropped by the browser)' : ''}`)
    .join('\n');
}
$('refresh-log').addEventListener('click', () => void showServerLog());

// For the example's spec, which drives this page in Chromium.
(window as unknown as { example: unknown }).example = { store, persisted, api };
