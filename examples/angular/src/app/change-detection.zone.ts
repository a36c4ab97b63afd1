import { provideZoneChangeDetection } from '@angular/core';

/** zone.js change detection, for the `zone` build (`ng build -c zone`, with zone.js as a polyfill). */
export const provideChangeDetection = (): ReturnType<typeof provideZoneChangeDetection> =>
  provideZoneChangeDetection({ eventCoalescing: true });
