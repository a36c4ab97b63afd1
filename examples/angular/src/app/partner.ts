import { InjectionToken } from '@angular/core';

/**
 * The partner API's origin: another origin, which must never get the session's token. The
 * example's server names it in a `<meta name="partner-api">` of the page.
 */
export const PARTNER_API = new InjectionToken<string>('partner API origin', {
  providedIn: 'root',
  factory: () => document.querySelector<HTMLMetaElement>('meta[name="partner-api"]')?.content ?? 'http://127.0.0.1:1',
});
