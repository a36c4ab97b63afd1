import type { Scenario } from './types';

/**
 * Refresh storm: N requests answered 401 at once, one refresh, N retries. Waits for the
 * refresh lifecycle (`store.refresh()`, the binding's 401 retry) of issue 3; replace the
 * body of `run` with the measurement once it is merged.
 */
const scenario: Scenario = {
  id: '5-refresh-storm',
  title: 'Refresh storm',
  run: () => Promise.resolve({ skipped: 'needs lifecycle (issue 3)' }),
};

export default scenario;
