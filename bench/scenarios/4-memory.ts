import { getEventListeners } from 'node:events';
import axios from 'axios';
import { bindAxios, SessionStore } from '../../lib/index';
import { gc } from '../support/stats';
import { NOOP_BASE, noopAdapter } from '../support/variants';
import type { Scenario } from './types';

const GOAL_BYTES = 1024 * 1024;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const scenario: Scenario = {
  id: '4-memory',
  title: 'Memory over many sequential requests in one session',
  async run(ctx) {
    const total = ctx.quick ? 250_000 : 1_000_000;
    const store = new SessionStore({ initial: 'bench-token' });
    const api = axios.create({ baseURL: NOOP_BASE, adapter: noopAdapter });
    bindAxios(store, api);
    // Every other request follows one long-lived caller signal.
    const shared = new AbortController();
    for (let i = 0; i < 10_000; i++) await api.get('/x', i % 2 === 0 ? { signal: shared.signal } : {});
    const before = heapAfterGc();
    ctx.log(`${total.toLocaleString('en-US')} sequential requests${ctx.quick ? ' (--quick; 1,000,000 without it)' : ''}`);
    for (let i = 0; i < total; i++) await api.get('/x', i % 2 === 0 ? { signal: shared.signal } : {});
    const after = heapAfterGc();
    const growth = after - before;
    const listeners = getEventListeners(shared.signal, 'abort').length;
    const inFlight = store.inFlight;
    const pass = growth <= GOAL_BYTES && listeners === 0 && inFlight === 0;
    return {
      ratio: null,
      goal: 'heap after GC within 1 MiB of the start; no listener left on the caller signal; store.inFlight === 0',
      pass,
      requests: total,
      heapBefore: before,
      heapAfter: after,
      heapGrowthBytes: growth,
      callerSignalListeners: listeners,
      inFlight,
      rows: [
        {
          metric: `heap growth after GC over ${total.toLocaleString('en-US')} requests${ctx.quick ? ' (quick)' : ''}`,
          value: `${(growth / 1024).toFixed(0)} KiB`,
          goal: '≤ 1024 KiB',
          pass: growth <= GOAL_BYTES,
        },
        {
          metric: 'listeners left on the shared caller signal / store.inFlight',
          value: `${listeners} / ${inFlight}`,
          goal: '0 / 0',
          pass: listeners === 0 && inFlight === 0,
        },
      ],
    };
  },
};

export default scenario;
