import { Injectable, signal } from '@angular/core';

/** What the app did and heard, newest first: shown under every page. */
@Injectable({ providedIn: 'root' })
export class Activity {
  readonly #lines = signal<readonly string[]>([]);
  readonly lines = this.#lines.asReadonly();

  add(line: string): void {
    this.#lines.update((lines) => [line, ...lines].slice(0, 30));
  }
}
