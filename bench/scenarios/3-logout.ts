import axios from 'axios';
import { bindAxios, SessionStore } from '../../lib/index';
import { fmtRatio } from '../support/format';
import { holdingAdapter } from '../support/holding-adapter';
import { defined, gc, median, ratioOfRounds, round, tick } from '../support/stats';
import { NOOP_BASE } from '../support/variants';
import type { Row, Scenario } from './types';

const LOGOUT_GOAL = 1.1;
const FLAT_GOAL = 1.5;

interface Round {
  /** ns per request from the first `get()` until every request reached the adapter. */
  setup: number;
  /** ns from the cancel (logout, or the abort loop) until every request settled. */
  cancel: number;
}

async function untilArrived(arrived: () => number, n: number): Promise<void> {
  while (arrived() < n) await tick();
}

/** rx-session: N requests of one session in flight, then `logout()`. */
async function boundRound(n: number): Promise<Round> {
  const { adapter, arrived } = holdingAdapter();
  const store = new SessionStore({ initial: 'bench-token' });
  const api = axios.create({ baseURL: NOOP_BASE, adapter });
  bindAxios(store, api);
  const pending = new Array<Promise<unknown>>(n);
  gc();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) pending[i] = api.get('/x').catch((e: unknown) => e);
  await untilArrived(arrived, n);
  const t1 = process.hrtime.bigint();
  gc();
  const t2 = process.hrtime.bigint();
  store.logout();
  await Promise.all(pending);
  const t3 = process.hrtime.bigint();
  if (store.inFlight !== 0) throw new Error(`inFlight ${store.inFlight} after logout`);
  store.dispose();
  return { setup: Number(t1 - t0) / n, cancel: Number(t3 - t2) };
}

/** The floor: plain axios, each request with its own AbortController, all aborted in one loop. */
async function floorRound(n: number): Promise<Round> {
  const { adapter, arrived } = holdingAdapter();
  const api = axios.create({ baseURL: NOOP_BASE, adapter });
  const controllers = new Array<AbortController>(n);
  const pending = new Array<Promise<unknown>>(n);
  gc();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const controller = (controllers[i] = new AbortController());
    pending[i] = api.get('/x', { signal: controller.signal }).catch((e: unknown) => e);
  }
  await untilArrived(arrived, n);
  const t1 = process.hrtime.bigint();
  gc();
  const t2 = process.hrtime.bigint();
  for (const controller of controllers) controller.abort();
  await Promise.all(pending);
  const t3 = process.hrtime.bigint();
  return { setup: Number(t1 - t0) / n, cancel: Number(t3 - t2) };
}

const scenario: Scenario = {
  id: '3-logout',
  title: 'Logout with N in flight',
  async run(ctx) {
    const sizes = [1_000, 10_000, 100_000];
    const roundsAt = (n: number): number =>
      n >= 100_000 ? (ctx.quick ? 2 : 3) : n >= 10_000 ? (ctx.quick ? 5 : 7) : ctx.quick ? 9 : 15;
    const warnings: { n: number; name: string; message: string }[] = [];
    let current = 0;
    const onWarning = (w: Error): void => void warnings.push({ n: current, name: w.name, message: w.message });
    process.on('warning', onWarning);
    const perN: Record<string, unknown> = {};
    const rows: Row[] = [];
    const setupMedian = new Map<number, number>();
    let worstLogout = 0;
    try {
      for (const n of sizes) {
        current = n;
        const rounds = roundsAt(n);
        ctx.log(`N=${n}: ${rounds} rounds, bound and floor interleaved`);
        // One untimed pair first (at 100k the 1k and 10k rounds have warmed everything up).
        if (n < 100_000) {
          await boundRound(n);
          await floorRound(n);
        }
        const bound: Round[] = [];
        const floor: Round[] = [];
        for (let r = 0; r < rounds; r++) {
          if (r % 2 === 0) {
            bound.push(await boundRound(n));
            floor.push(await floorRound(n));
          } else {
            floor.push(await floorRound(n));
            bound.push(await boundRound(n));
          }
        }
        await tick(); // let process 'warning' events arrive
        const logoutRatio = ratioOfRounds(
          bound.map((b) => b.cancel),
          floor.map((f) => f.cancel),
        );
        worstLogout = Math.max(worstLogout, logoutRatio);
        const setup = median(bound.map((b) => b.setup));
        setupMedian.set(n, setup);
        perN[String(n)] = {
          rounds,
          bound: { setupNsPerRequest: round(setup, 0), logoutMs: round(median(bound.map((b) => b.cancel)) / 1e6, 2) },
          floor: {
            setupNsPerRequest: round(median(floor.map((f) => f.setup)), 0),
            abortLoopMs: round(median(floor.map((f) => f.cancel)) / 1e6, 2),
          },
          logoutRatio: round(logoutRatio, 4),
        };
        rows.push({
          metric: `N=${n.toLocaleString('en-US')}: logout-until-settled ÷ floor (${(median(bound.map((b) => b.cancel)) / 1e6).toFixed(1)} ms vs ${(median(floor.map((f) => f.cancel)) / 1e6).toFixed(1)} ms)`,
          value: fmtRatio(logoutRatio),
          goal: `≤ ${LOGOUT_GOAL}`,
          pass: logoutRatio <= LOGOUT_GOAL,
        });
      }
    } finally {
      process.off('warning', onWarning);
    }
    const setupAt1k = defined(setupMedian.get(1_000), 'setup at N=1,000');
    const setupAt100k = defined(setupMedian.get(100_000), 'setup at N=100,000');
    const flat = setupAt100k / setupAt1k;
    const maxListeners = warnings.filter((w) => w.name === 'MaxListenersExceededWarning');
    rows.unshift({
      metric: `setup ns/request at 100k ÷ at 1k (${Math.round(setupAt100k)} vs ${Math.round(setupAt1k)} ns)`,
      value: fmtRatio(flat),
      goal: `≤ ${FLAT_GOAL}`,
      pass: flat <= FLAT_GOAL,
    });
    rows.push({
      metric: 'MaxListenersExceededWarning at any N',
      value: String(maxListeners.length),
      goal: '0',
      pass: maxListeners.length === 0,
    });
    const pass = flat <= FLAT_GOAL && worstLogout <= LOGOUT_GOAL && maxListeners.length === 0;
    return {
      ratio: round(worstLogout, 4),
      goal: `logout ≤ ${LOGOUT_GOAL}× floor at every N; setup at 100k ≤ ${FLAT_GOAL}× at 1k; no MaxListenersExceededWarning`,
      pass,
      setupFlatness: round(flat, 4),
      maxListenersWarnings: maxListeners.length,
      warnings,
      perN,
      rows,
    };
  },
};

export default scenario;
