import type { RefreshGuard, StoreLink } from './store-link';

/**
 * Wraps every refresh attempt of the store in `guard` (see {@link RefreshGuard}): an `outer`
 * one (`syncTabs()`'s lock) outside those set before, another (`persistSession()`'s look at
 * the storage) inside them, so that what runs under the lock sees what the tab before it
 * stored. Returns the function that stops it (the guard then lets every attempt through).
 */
export function guardRefresh(link: StoreLink, guard: RefreshGuard, outer?: boolean): () => void {
  const { attempts } = link;
  const before = attempts.guard;
  let live = true;
  const mine: RefreshGuard = (run, attempt) => (live ? guard(run, attempt) : run());
  attempts.guard = !before
    ? mine
    : outer
      ? (run, attempt) => mine(() => before(run, attempt), attempt)
      : (run, attempt) => before(() => mine(run, attempt), attempt);
  return () => {
    live = false;
  };
}
