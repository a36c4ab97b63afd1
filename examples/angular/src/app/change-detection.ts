import { provideZonelessChangeDetection } from '@angular/core';

/** Zoneless change detection, Angular 21's default. The `zone` build swaps in change-detection.zone.ts. */
export const provideChangeDetection = provideZonelessChangeDetection;
