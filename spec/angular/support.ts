import '@angular/compiler'; // Angular's packages are partially compiled: JIT links them in the specs
import {
  createEnvironmentInjector,
  Injector,
  provideZonelessChangeDetection,
  runInInjectionContext,
  ɵConsole as Console,
  ɵINJECTOR_SCOPE as INJECTOR_SCOPE,
  type EnvironmentInjector,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';

/**
 * A root environment injector, as an app's bootstrap makes one, without a DOM: the
 * interceptor specs run real `HttpClient`s (`withFetch()`) in Node.
 */
export function rootInjector(providers: (Provider | EnvironmentProviders)[]): EnvironmentInjector {
  return createEnvironmentInjector(
    [
      { provide: INJECTOR_SCOPE, useValue: 'root' },
      { provide: Console, useClass: Console },
      provideZonelessChangeDetection(),
      ...providers,
    ],
    // The root of an app's injectors: the null injector, as Angular's bootstrap makes it.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    Injector.NULL as EnvironmentInjector,
  );
}

/** Runs `fn` in `injector`'s injection context, as a guard or a component field initialiser runs. */
export function inContext<T>(injector: EnvironmentInjector | undefined, fn: () => T): T {
  if (injector === undefined) throw new Error('no injector');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- an R3Injector, which the rule does not see as one
  return runInInjectionContext(injector, fn);
}
