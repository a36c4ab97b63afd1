import { createFetch, isSessionError, SessionStore } from '../../lib/index';
import { fmtRatio } from '../support/format';
import { fmtSpread, holdingFetch, perRoundRatios, roundSpread, spreadOf } from '../support/fetch-bench';
import { gc, median, round, tick } from '../support/stats';
import { NOOP_BASE } from '../support/variants';
import type { Row, Scenario } from './types';

const GOAL = 1.1;
const N = 10_000;

interface Round {
  /** ns per request from the first call until every request reached the stand-in. */
  setup: number;
  /** ns from the cancel (logout, or the abort loop) until every request settled. */
  cancel: number;
  /** Process CPU ns over the same stretch (information: unlike wall time, not lengthened by other processes). */
  cancelCpu: number;
}

const cpuNs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) * 1000;
};

async function untilArrived(arrived: () => number, n: number): Promise<void> {
  while (arrived() < n) await tick();
}

/** rx-session: N fetches of one session pending in the stand-in, then `logout()`. */
async function boundRound(n: number): Promise<Round> {
  const { fetch, arrived } = holdingFetch();
  const store = new SessionStore({ initial: 'bench-token' });
  const api = createFetch(store, { baseURL: `${NOOP_BASE}/`, fetch });
  const pending = new Array<Promise<unknown>>(n);
  gc();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) pending[i] = api('x').catch((e: unknown) => e);
  await untilArrived(arrived, n);
  const t1 = process.hrtime.bigint();
  gc();
  const c2 = process.cpuUsage();
  const t2 = process.hrtime.bigint();
  store.logout();
  const settled = await Promise.all(pending);
  const t3 = process.hrtime.bigint();
  const cancelCpu = cpuNs(c2);
  const ended = settled.filter((e) => isSessionError(e, 'SESSION_ENDED')).length;
  if (ended !== n) throw new Error(`${n - ended} of ${n} fetches did not reject with SESSION_ENDED`);
  if (store.inFlight !== 0) throw new Error(`inFlight ${store.inFlight} after logout`);
  store.dispose();
  return { setup: Number(t1 - t0) / n, cancel: Number(t3 - t2), cancelCpu };
}

/** The floor: the same stand-in, each call with its own AbortController, all aborted in one loop. */
async function floorRound(n: number): Promise<Round> {
  const { fetch, arrived } = holdingFetch();
  const url = `${NOOP_BASE}/x`;
  const controllers = new Array<AbortController>(n);
  const pending = new Array<Promise<unknown>>(n);
  gc();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const controller = (controllers[i] = new AbortController());
    pending[i] = fetch(url, { signal: controller.signal }).catch((e: unknown) => e);
  }
  await untilArrived(arrived, n);
  const t1 = process.hrtime.bigint();
  gc();
  const c2 = process.cpuUsage();
  const t2 = process.hrtime.bigint();
  for (const controller of controllers) controller.abort();
  const settled = await Promise.all(pending);
  const t3 = process.hrtime.bigint();
  const cancelCpu = cpuNs(c2);
  const aborted = settled.filter((e) => e instanceof DOMException && e.name === 'AbortError').length;
  if (aborted !== n) throw new Error(`floor: ${n - aborted} of ${n} fetches did not reject with an AbortError`);
  return { setup: Number(t1 - t0) / n, cancel: Number(t3 - t2), cancelCpu };
}

/**
 * N = 10,000 fetches of `createFetch(store, { fetch: stand-in })` pending, then
 * `store.logout()`, timed until every one has settled; ÷ the floor: the same stand-in
 * called with N hand-made AbortControllers, aborted by hand in a loop, until all settled.
 *
 * The stand-in (`holdingFetch`) is `fetch`'s contract without undici: it stays pending
 * until `init.signal` aborts, then rejects with the signal's reason. So both sides pay the
 * same for the "transport", and the ratio is what the binding adds to cancelling. Rounds
 * alternate the order (bound first, then floor first) after one untimed pair; the figure
 * is the median of per-round ratios of wall time, with the process CPU time of the same
 * stretch beside it (on a shared machine other processes lengthen a round's wall time).
 */
const scenario: Scenario = {
  id: '9-fetch-logout',
  title: `fetch: logout with ${N.toLocaleString('en-US')} in flight`,
  async run(ctx) {
    const rounds = ctx.quick ? 21 : 41;
    ctx.log(`N=${N}: ${rounds} rounds, bound and floor interleaved, after one warm-up pair`);
    await boundRound(N);
    await floorRound(N);
    const bound: Round[] = [];
    const floor: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        bound.push(await boundRound(N));
        floor.push(await floorRound(N));
      } else {
        floor.push(await floorRound(N));
        bound.push(await boundRound(N));
      }
    }
    const ratios = perRoundRatios(
      bound.map((b) => b.cancel),
      floor.map((f) => f.cancel),
    );
    const spread = spreadOf(ratios);
    const cpuSpread = spreadOf(
      perRoundRatios(
        bound.map((b) => b.cancelCpu),
        floor.map((f) => f.cancelCpu),
      ),
    );
    const ratio = spread.median;
    const pass = ratio <= GOAL;
    const logoutMs = median(bound.map((b) => b.cancel)) / 1e6;
    const abortMs = median(floor.map((f) => f.cancel)) / 1e6;
    const setupBound = median(bound.map((b) => b.setup));
    const setupFloor = median(floor.map((f) => f.setup));
    const rows: Row[] = [
      {
        metric: `logout-until-settled ÷ floor (${logoutMs.toFixed(1)} ms vs ${abortMs.toFixed(1)} ms, median of ${rounds} rounds)`,
        value: fmtRatio(ratio),
        goal: `≤ ${GOAL}`,
        pass,
      },
      { metric: 'spread of per-round ratios', value: fmtSpread(spread) },
      {
        metric: 'CPU time of the same stretch, bound ÷ floor (info)',
        value: `${fmtRatio(cpuSpread.median)} (${fmtSpread(cpuSpread)})`,
      },
      {
        metric: 'setup ns/request bound / floor (info)',
        value: `${Math.round(setupBound).toLocaleString('en-US')} / ${Math.round(setupFloor).toLocaleString('en-US')}`,
      },
    ];
    return {
      ratio: round(ratio, 4),
      goal: `logout with ${N} fetches in flight ≤ ${GOAL}× hand-aborting ${N} AbortControllers (median of per-round ratios)`,
      pass,
      n: N,
      rounds,
      transport: 'holdingFetch stand-in: pending until init.signal aborts, then rejects with its reason',
      ratioSpread: roundSpread(spread),
      cpuRatio: round(cpuSpread.median, 4),
      cpuRatioSpread: roundSpread(cpuSpread),
      bound: { setupNsPerRequest: round(setupBound, 0), logoutMs: round(logoutMs, 2) },
      floor: { setupNsPerRequest: round(setupFloor, 0), abortLoopMs: round(abortMs, 2) },
      perRoundRatios: ratios.map((r) => round(r, 4)),
      rows,
    };
  },
};

export default scenario;
