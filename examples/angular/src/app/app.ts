import { Component, DestroyRef, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Router, RouterOutlet } from '@angular/router';
import { SessionStore } from 'rx-session';
import { injectSession, PERSISTED_SESSION } from 'rx-session/angular';
import { Activity } from './activity';
import type { User } from './auth';

/** The shell: who is signed in, a logout button, the page, and what the app heard. */
@Component({
  selector: 'app-root',
  imports: [RouterOutlet],
  template: `
    <h1>rx-session with Angular</h1>
    <small>HttpClient and an axios instance follow one session. Open a second tab: it follows too.</small>
    <div class="status" id="status" [attr.data-status]="restoring() ? 'restoring' : auth.session().status">
      @if (restoring()) {
        Restoring…
      } @else if (auth.isAuthenticated()) {
        Signed in as {{ auth.user()?.name }}
      } @else {
        Signed out
      }
    </div>
    <section>
      <button id="me" (click)="whoAmI()">Who am I?</button>
      @if (auth.isAuthenticated()) {
        <button id="logout" (click)="store.logout()">Log out</button>
      }
    </section>
    <router-outlet />
    <section>
      <b>This tab heard</b>
      <pre id="log">{{ activity.lines().join('\\n') }}</pre>
    </section>
  `,
})
export class App {
  protected readonly store = inject<SessionStore<User>>(SessionStore);
  protected readonly auth = injectSession<User>();
  protected readonly activity = inject(Activity);
  readonly #http = inject(HttpClient);
  /** `true` while the stored session is read (at once with localStorage): no "signed out" flash. */
  protected readonly restoring = toSignal(inject(PERSISTED_SESSION).restoring$, { requireSync: true });

  constructor() {
    const router = inject(Router);
    const events = this.store.events$.subscribe((event) => this.activity.add(`event: ${event.type}`));
    const logouts = this.store.logout$.subscribe(({ reason }) => {
      this.activity.add(`logged out (${reason})`);
      void router.navigateByUrl('/login');
    });
    inject(DestroyRef).onDestroy(() => {
      events.unsubscribe();
      logouts.unsubscribe();
    });
  }

  whoAmI(): void {
    this.#http.get<User>('/api/me').subscribe({
      next: (me) => this.activity.add(`/api/me: 200, ${me.name}`),
      error: (err: unknown) => this.activity.add(`/api/me: ${err instanceof HttpErrorResponse ? err.status : String(err)}`),
    });
  }
}
