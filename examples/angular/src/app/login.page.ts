import { Component, inject, signal } from '@angular/core';
import { HttpClient, HttpContext } from '@angular/common/http';
import { Router } from '@angular/router';
import { SessionStore } from 'rx-session';
import { SKIP_AUTH } from 'rx-session/angular';
import { Activity } from './activity';
import { credentials, type TokenResponse, type User } from './auth';

/** Signs in with a name (the example's API takes any). */
@Component({
  selector: 'app-login',
  template: `
    <h2>Log in</h2>
    <input id="name" aria-label="name" [value]="name()" (input)="name.set($any($event.target).value)" />
    <button id="login" (click)="login()">Log in</button>
  `,
})
export class LoginPage {
  protected readonly name = signal('ada');
  readonly #http = inject(HttpClient);
  readonly #store = inject<SessionStore<User>>(SessionStore);
  readonly #router = inject(Router);
  readonly #activity = inject(Activity);

  login(): void {
    // The login call carries no token and is not tied to a session: SKIP_AUTH.
    const context = new HttpContext().set(SKIP_AUTH, true);
    this.#http.post<TokenResponse>('/api/login', this.name(), { context }).subscribe({
      next: (body) => {
        this.#store.login(credentials(body));
        void this.#router.navigateByUrl('/profile');
      },
      error: () => this.#activity.add('login failed'),
    });
  }
}
