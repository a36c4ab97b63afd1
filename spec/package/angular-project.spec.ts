/**
 * rx-session in an Angular project made from scratch with Angular's own tools, as a user
 * starts one: `ng new` (Angular 21, its defaults: standalone, zoneless, `strict` and
 * `strictTemplates`), `npm install` of the packed tarball and axios, an app that uses the
 * providers, the interceptor, the guard and the signals in its templates, then `ng build`.
 * A template that misuses the types must fail that build. Needs a fresh `npm run build`, and
 * the npm registry (or npm's cache) for the project's own dependencies.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { assertFreshBuild, childEnv, packInto, versionOf } from './consumer';

jest.setTimeout(420_000);

const run = promisify(execFile);
const repo = resolve(__dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { ...childEnv(), NG_CLI_ANALYTICS: 'false', NO_COLOR: '1' };

let dir = '';
let project = '';

/** Runs `ng <args>` of the new project's own @angular/cli; resolves with its output, or rejects with it. */
async function ng(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(project, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'), ...args],
      {
        cwd: project,
        env,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return stdout + stderr;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`ng ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

const write = (file: string, text: string): void => writeFileSync(join(project, file), text);
const read = (file: string): string => readFileSync(join(project, file), 'utf8');

beforeAll(async () => {
  assertFreshBuild();
  dir = mkdtempSync(join(tmpdir(), 'rx-session-ng-new-'));
  project = join(dir, 'fresh');
  // The repo's @angular/cli makes the project; the project then runs its own.
  await run(
    process.execPath,
    [
      join(repo, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'),
      'new',
      'fresh',
      '--defaults',
      '--skip-git',
      '--skip-install',
      '--ai-config=none',
    ],
    { cwd: dir, env },
  );
  const pack = await packInto(dir);
  await run(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', `../${pack.filename}`, `axios@${versionOf('axios')}`],
    { cwd: project, env, maxBuffer: 16 * 1024 * 1024 },
  );
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const CONFIG = `import { provideBrowserGlobalErrorListeners, type ApplicationConfig } from '@angular/core';
import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { provideRouter } from '@angular/router';
import {
  provideSessionStore, sessionInterceptor, withAuthGuard, withPersistedSession, withSessionInterceptor, withTabSync,
} from 'rx-session/angular';
import { routes } from './app.routes';
import type { User } from './user';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideSessionStore<User>(
      { refresh: async (session) => ({ token: 'next', refreshToken: session.refreshToken ?? '' }), refreshMargin: 10_000 },
      withPersistedSession(),
      withTabSync(),
      withSessionInterceptor({ allowedOrigins: ['https://api.example.com'], shouldRefresh: (error) => error.status === 401 }),
      withAuthGuard({ redirectTo: '/login' }),
    ),
    provideHttpClient(withFetch(), withInterceptors([sessionInterceptor])),
    provideRouter(routes),
  ],
};
`;

const ROUTES = `import type { Routes } from '@angular/router';
import { authGuard } from 'rx-session/angular';
import { Login } from './login';

export const routes: Routes = [
  { path: 'login', component: Login },
  { path: 'profile', canMatch: [authGuard], canActivate: [authGuard], loadComponent: () => import('./profile').then((m) => m.Profile) },
  { path: '**', redirectTo: 'profile' },
];
`;

const LOGIN = `import { Component, inject } from '@angular/core';
import { HttpClient, HttpContext } from '@angular/common/http';
import { SessionStore } from 'rx-session';
import { SKIP_AUTH } from 'rx-session/angular';
import type { User } from './user';

@Component({
  selector: 'app-login',
  template: '<button (click)="login()">Log in</button>',
})
export class Login {
  readonly #http = inject(HttpClient);
  readonly #store = inject<SessionStore<User>>(SessionStore);

  login(): void {
    const context = new HttpContext().set(SKIP_AUTH, true);
    this.#http.post<{ token: string; user: User }>('/api/login', null, { context }).subscribe(({ token, user }) => {
      this.#store.login({ token, user });
    });
  }
}
`;

/** The guarded page: its template reads the signals; \`field\` is what the template reads of the user. */
const profile = (field: string): string => `import { Component, inject } from '@angular/core';
import { AsyncPipe } from '@angular/common';
import { SessionStore } from 'rx-session';
import { injectSession } from 'rx-session/angular';
import type { User } from './user';

@Component({
  selector: 'app-profile',
  imports: [AsyncPipe],
  template: \`
    @if (auth.isAuthenticated()) {
      <p>Hello {{ auth.user()?.${field} }}, {{ auth.session().status }}</p>
      <p>Token expires: {{ (store.session$ | async)?.expiresAt ?? 'never' }}</p>
      <button (click)="store.logout()">Log out</button>
    }
  \`,
})
export class Profile {
  protected readonly store = inject<SessionStore<User>>(SessionStore);
  protected readonly auth = injectSession<User>();
}
`;

it('ng new makes a project with strict and strictTemplates on, and rx-session comes from the tarball', () => {
  const tsconfig = read('tsconfig.json');
  expect(tsconfig).toMatch(/"strict": true/);
  expect(tsconfig).toMatch(/"strictTemplates": true/);
  // The project's rx-session is the packed tarball, not the registry's.
  const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  expect(manifest.dependencies['rx-session']).toMatch(/^file:\.\.\/rx-session-.*\.tgz$/);
});

it('the tarball, installed in the new project, builds with ng build: providers, interceptor, guard and signals in templates', async () => {
  write('src/app/user.ts', 'export interface User {\n  readonly name: string;\n}\n');
  write('src/app/app.config.ts', CONFIG);
  write('src/app/app.routes.ts', ROUTES);
  write('src/app/login.ts', LOGIN);
  write('src/app/profile.ts', profile('name'));
  const output = await ng('build');
  expect(output).toContain('Application bundle generation complete');
  const browser = join(project, 'dist', 'fresh', 'browser');
  const chunks = readdirSync(browser).filter((file) => file.endsWith('.js'));
  const code = chunks.map((file) => readFileSync(join(browser, file), 'utf8')).join('\n');
  // The interceptor's fence is in the app's bundle (its status text is a literal).
  expect(code).toContain('Session ended');
});

it("strictTemplates checks the app's templates against rx-session's types: a field User does not have fails ng build", async () => {
  write('src/app/profile.ts', profile('nmae'));
  await expect(ng('build')).rejects.toThrow(/Property 'nmae' does not exist on type 'User'/);
  write('src/app/profile.ts', profile('name'));
});
