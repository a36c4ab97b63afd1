import { Component, inject } from '@angular/core';
import { HttpClient, HttpContext, HttpErrorResponse } from '@angular/common/http';
import { finalize, forkJoin, from, map, type Observable } from 'rxjs';
import { getSessionEnd, SessionStore } from 'rx-session';
import { injectSession, SKIP_AUTH } from 'rx-session/angular';
import { Activity } from './activity';
import { ApiAxios } from './api-axios';
import type { User } from './auth';
import { PARTNER_API } from './partner';

/** The signed-in page (behind `authGuard`): requests that carry the token, and one that must not. */
@Component({
  selector: 'app-profile',
  template: `
    <h2>Profile of {{ auth.user()?.name }}</h2>
    <section>
      <button id="report" (click)="report()">Slow report (8 s)</button>
      <button id="partner" (click)="partner()">Call the partner API</button>
      <button id="storm" (click)="storm()">Server forgets tokens, then 10 calls</button>
    </section>
  `,
})
export class ProfilePage {
  protected readonly auth = injectSession<User>();
  readonly #http = inject(HttpClient);
  readonly #axios = inject(ApiAxios).instance;
  readonly #store = inject<SessionStore<User>>(SessionStore);
  readonly #partner = inject(PARTNER_API);
  readonly #activity = inject(Activity);

  /** The slow request a logout cancels: its observable errors with the session's end. */
  report(): void {
    this.#activity.add('/api/report: waiting…');
    this.#http.get<{ report: string }>('/api/report').subscribe({
      next: (body) => this.#activity.add(`/api/report: 200, ${body.report}`),
      error: (err: unknown) => this.#activity.add(`/api/report: ${this.#describe(err)}`),
    });
  }

  /** Another origin, not in `allowedOrigins`: the request goes, without the token. */
  partner(): void {
    this.#http.get<{ token: string }>(`${this.#partner}/whoami`).subscribe({
      next: (body) => this.#activity.add(`partner API: token ${body.token}`),
      error: (err: unknown) => this.#activity.add(`partner API: ${this.#describe(err)}`),
    });
  }

  /**
   * The server forgets the access token, then five `HttpClient` and five axios requests go at
   * once: each gets a 401, and all wait for one refresh, shared, and go again with the new token.
   */
  storm(): void {
    let refreshes = 0;
    const counting = this.#store.events$.subscribe((event) => {
      if (event.type === 'refresh') refreshes++;
    });
    const skip = { context: new HttpContext().set(SKIP_AUTH, true) };
    this.#http.post('/api/forget-tokens', null, skip).subscribe(() => {
      const calls: Observable<string>[] = [];
      for (let i = 0; i < 5; i++) {
        calls.push(this.#http.get<User>('/api/me').pipe(map(() => 'HttpClient')));
        calls.push(from(this.#axios.get<User>('/api/me')).pipe(map(() => 'axios')));
      }
      forkJoin(calls)
        .pipe(finalize(() => counting.unsubscribe()))
        .subscribe({
          next: (answered) => {
            const byAxios = answered.filter((client) => client === 'axios').length;
            this.#activity.add(`storm: ${answered.length} of 10 answered 200 (${byAxios} by axios) after ${refreshes} refresh`);
          },
          error: (err: unknown) => this.#activity.add(`storm: ${this.#describe(err)}`),
        });
    });
  }

  #describe(err: unknown): string {
    const end = getSessionEnd(err);
    if (end) return `cancelled, the session ended (${end.reason})`;
    return err instanceof HttpErrorResponse ? `${err.status}` : String(err);
  }
}
