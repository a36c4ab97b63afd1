import http from 'node:http';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { bindAxios, SessionStore } from '../../lib/index';
import { fmtRatio } from '../support/format';
import { startServer } from '../support/loopback';
import type { StormCounts } from '../support/server';
import { interleave, measure, median, ratioOfRounds, round, type Sample } from '../support/stats';
import type { Row, Scenario } from './types';

const GOAL = 1.25;
/** Requests in flight at once (the 1,000 concurrent 401s). */
const CONCURRENCY = 1_000;
/** The storm's requests are split over this many bound instances of one store. */
const INSTANCES = 2;
const WARMUP = 2;

type Variant = 'baseline' | 'storm' | 'trusted' | 'floor' | 'rejected';
const VARIANTS: readonly Variant[] = ['baseline', 'storm', 'trusted', 'floor', 'rejected'];

/** What one round saw, besides its time. */
interface Outcome {
  /** Requests that succeeded with the token the round's refresh issued. */
  ok: number;
  /** Refresh calls the server counted during the round. */
  refreshCalls: number;
  /** `/storm/data` requests the server answered 401 during the round. */
  unauthorized: number;
  /** ms from the start of the round until the refresh request was sent, and until it was answered. */
  refreshStart: number;
  refreshEnd: number;
  /** ms from the start of the round until every request had settled. */
  total: number;
}

const elapsedMs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * Refresh storm: 1,000 concurrent requests on a stale token against the loopback server,
 * on bound instances whose store has a `refresh`: every request gets a 401, one shared
 * refresh runs, every request is retried once with the new token.
 *
 * Per round, interleaved after a warm-up:
 * - `baseline`: one `POST /storm/refresh`, then 1,000 concurrent GETs with the new token
 *   (plain axios, same agent): one refresh plus one round trip at that concurrency;
 * - `storm`: a stale token put in place untested (`login(token, { restored: true })`, as
 *   `persistSession()` restores one; untimed), then 1,000 concurrent GETs on two bound
 *   instances (500 each), all awaited; every one must succeed with the new token, after
 *   exactly one refresh call. An untested token goes out on at most `probeLimit` requests
 *   until the first answer (docs/probes.md), so the storm is a few 401s, not 1,000;
 * - `trusted` (information): the same storm after a plain `login()`, whose token is trusted
 *   at once (a token the server just issued, revoked since): all 1,000 go out and get a 401
 *   before the refresh. Nothing can hold requests that are already on the wire, so this
 *   one is compared with `floor`, which does the same work;
 * - `floor` (information): the same storm on plain axios with a hand-written single-flight
 *   refresh and retry in 12 lines: what the 401 → refresh → retry protocol costs by itself;
 * - `rejected` (information): 1,000 concurrent GETs with a stale token, plain axios, no
 *   refresh, no retry: what the storm's first leg (1,000 × 401) costs alone.
 * The goal: storm ≤ 1.25 × baseline (median of per-round ratios).
 */
const scenario: Scenario = {
  id: '5-refresh-storm',
  title: `Refresh storm: ${CONCURRENCY.toLocaleString('en-US')} concurrent 401s`,
  async run(ctx) {
    const server = await startServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
    try {
      const rounds = ctx.quick ? 5 : 15;
      const baseURL = `http://127.0.0.1:${server.port}`;
      const plain = axios.create({ baseURL, httpAgent: agent });
      const counts = async (): Promise<StormCounts> => (await plain.get<StormCounts>('/storm/count')).data;
      const refreshPost = (config?: object): Promise<string> =>
        plain.post<{ token: string }>('/storm/refresh', undefined, config).then((res) => res.data.token);
      const tokenOf = (res: AxiosResponse<{ token?: string }>): string | undefined => res.data.token;

      // The bound side: one store, two instances; the refresh goes through the plain instance with ctx.config.
      let refreshStarted = 0n;
      let refreshEnded = 0n;
      const store = new SessionStore({
        refresh: async (_session, { config }) => {
          refreshStarted = process.hrtime.bigint();
          const token = await refreshPost(config);
          refreshEnded = process.hrtime.bigint();
          return token;
        },
      });
      const bound = Array.from({ length: INSTANCES }, () => {
        const api = axios.create({ baseURL, httpAgent: agent });
        bindAxios(store, api);
        return api;
      });

      const boundStorm = (): Promise<(string | undefined)[]> => {
        const per = CONCURRENCY / INSTANCES;
        return Promise.all(
          Array.from({ length: CONCURRENCY }, (_, i) =>
            (bound[Math.floor(i / per)] as AxiosInstance).get('/storm/data').then(tokenOf, () => undefined),
          ),
        );
      };

      /** Runs one round of `variant`: fires the requests, returns each one's token (or undefined when it failed). */
      const fire: Record<Variant, () => Promise<(string | undefined)[]>> = {
        async baseline() {
          refreshStarted = process.hrtime.bigint();
          const token = await refreshPost();
          refreshEnded = process.hrtime.bigint();
          const headers = { Authorization: `Bearer ${token}` };
          return Promise.all(
            Array.from({ length: CONCURRENCY }, () => plain.get('/storm/data', { headers }).then(tokenOf, () => undefined)),
          );
        },
        storm: boundStorm,
        trusted: boundStorm,
        floor() {
          let token = 'stale';
          let refreshing: Promise<string> | undefined;
          const refresh = (used: string): Promise<string> => {
            if (used !== token) return Promise.resolve(token);
            refreshStarted = process.hrtime.bigint();
            refreshing ??= refreshPost().then((t) => {
              refreshEnded = process.hrtime.bigint();
              token = t;
              refreshing = undefined;
              return t;
            });
            return refreshing;
          };
          const get = (used: string): Promise<AxiosResponse<{ token?: string }>> =>
            plain.get('/storm/data', { headers: { Authorization: `Bearer ${used}` } });
          const once = (): Promise<AxiosResponse<{ token?: string }>> => {
            const used = token;
            return get(used).catch((err: unknown) => {
              if (!axios.isAxiosError(err) || err.response?.status !== 401) throw err;
              return refresh(used).then(get);
            });
          };
          return Promise.all(Array.from({ length: CONCURRENCY }, () => once().then(tokenOf, () => undefined)));
        },
        rejected() {
          const headers = { Authorization: 'Bearer stale' };
          return Promise.all(
            Array.from({ length: CONCURRENCY }, () => plain.get('/storm/data', { headers }).then(tokenOf, () => undefined)),
          );
        },
      };

      const outcomes: Record<Variant, Outcome[]> = { baseline: [], storm: [], trusted: [], floor: [], rejected: [] };
      const runRound = async (variant: Variant): Promise<Sample> => {
        if (variant === 'storm') store.login(`stale-${String(Date.now())}`, { restored: true });
        if (variant === 'trusted') store.login(`stale-${String(Date.now())}`);
        const before = await counts();
        refreshStarted = refreshEnded = 0n;
        let tokens: (string | undefined)[] = [];
        let t0 = 0n;
        const sample = await measure(1, async () => {
          t0 = process.hrtime.bigint();
          tokens = await fire[variant]();
        });
        const total = elapsedMs(t0);
        const after = await counts();
        outcomes[variant].push({
          ok: tokens.filter((t) => t === after.token).length,
          refreshCalls: after.refreshCalls - before.refreshCalls,
          unauthorized: after.unauthorized - before.unauthorized,
          refreshStart: refreshStarted === 0n ? Number.NaN : Number(refreshStarted - t0) / 1e6,
          refreshEnd: refreshEnded === 0n ? Number.NaN : Number(refreshEnded - t0) / 1e6,
          total,
        });
        return sample;
      };

      ctx.log(`${rounds} rounds (after ${WARMUP} warm-up) of ${VARIANTS.join(', ')}: ${CONCURRENCY} requests at once each`);
      const samples = await interleave<Variant>(
        {
          baseline: () => runRound('baseline'),
          storm: () => runRound('storm'),
          trusted: () => runRound('trusted'),
          floor: () => runRound('floor'),
          rejected: () => runRound('rejected'),
        },
        rounds,
        WARMUP,
      );
      store.dispose();
      // Only the measured rounds (interleave runs `WARMUP` rounds of each variant first).
      const measured = Object.fromEntries(
        (Object.keys(outcomes) as Variant[]).map((v) => [v, outcomes[v].slice(WARMUP)]),
      ) as Record<Variant, Outcome[]>;

      const wall = (v: Variant): number[] => samples[v].map((s) => s.wall / 1e6);
      const ms = (v: Variant): number => median(wall(v));
      const ratio = ratioOfRounds(wall('storm'), wall('baseline'));
      const floorRatio = ratioOfRounds(wall('floor'), wall('baseline'));
      const stormOverFloor = ratioOfRounds(wall('storm'), wall('floor'));
      const trustedOverFloor = ratioOfRounds(wall('trusted'), wall('floor'));
      const trustedRatio = ratioOfRounds(wall('trusted'), wall('baseline'));
      const trustedCalls = measured.trusted.map((o) => o.refreshCalls);
      const trustedOk = Math.min(...measured.trusted.map((o) => o.ok));
      // Where the time goes: the storm against baseline + its first leg (1,000 × 401), and
      // its second half (from the refresh on) against the baseline.
      const twoLegs = wall('baseline').map((b, i) => b + (wall('rejected')[i] ?? Number.NaN));
      const stormOverTwoLegs = ratioOfRounds(wall('storm'), twoLegs);
      const recovery = measured.storm.map((o) => o.total - o.refreshStart);
      const recoveryRatio = ratioOfRounds(recovery, wall('baseline'));
      const med = (v: Variant, key: keyof Outcome): number => median(measured[v].map((o) => o[key]));
      const refreshCalls = measured.storm.map((o) => o.refreshCalls);
      const ok = Math.min(...measured.storm.map((o) => o.ok));
      const exactlyOne = refreshCalls.every((c) => c === 1);
      const allOk = ok === CONCURRENCY;
      const pass = ratio <= GOAL && exactlyOne && allOk;
      const timeline = (v: Variant): { refreshStartMs: number; refreshEndMs: number; totalMs: number; unauthorized: number } => ({
        refreshStartMs: round(med(v, 'refreshStart'), 2),
        refreshEndMs: round(med(v, 'refreshEnd'), 2),
        totalMs: round(med(v, 'total'), 2),
        unauthorized: med(v, 'unauthorized'),
      });
      const line = (v: Variant): string => {
        const t = timeline(v);
        const refresh = Number.isNaN(t.refreshStartMs)
          ? 'no refresh'
          : `refresh sent at ${t.refreshStartMs.toFixed(1)} ms, answered at ${t.refreshEndMs.toFixed(1)} ms`;
        return `${refresh}, all settled at ${t.totalMs.toFixed(1)} ms; ${t.unauthorized} × 401`;
      };
      const rows: Row[] = [
        {
          metric: `storm ÷ (one refresh + ${CONCURRENCY} requests) (${ms('storm').toFixed(1)} vs ${ms('baseline').toFixed(1)} ms)`,
          value: fmtRatio(ratio),
          goal: `≤ ${GOAL}`,
          pass: ratio <= GOAL,
        },
        {
          metric: `refresh calls per storm (${refreshCalls.length} rounds)`,
          value: [...new Set(refreshCalls)].join(', '),
          goal: '1',
          pass: exactlyOne,
        },
        {
          metric: `requests that succeeded with the new token (worst round)`,
          value: `${ok} / ${CONCURRENCY}`,
          goal: String(CONCURRENCY),
          pass: allOk,
        },
        {
          metric: `floor: plain axios, hand-written single flight ÷ baseline (${ms('floor').toFixed(1)} ms) (info)`,
          value: fmtRatio(floorRatio),
        },
        { metric: 'storm ÷ floor (info)', value: fmtRatio(stormOverFloor) },
        {
          metric: `trusted token revoked: all ${CONCURRENCY} get a 401 first (${ms('trusted').toFixed(1)} ms) ÷ floor (info; ÷ baseline ${fmtRatio(trustedRatio)}; refresh calls ${[...new Set(trustedCalls)].join(', ')}; ${trustedOk} / ${CONCURRENCY} succeeded)`,
          value: fmtRatio(trustedOverFloor),
        },
        {
          metric: `${CONCURRENCY} concurrent 401s alone, plain axios (${ms('rejected').toFixed(1)} ms); storm ÷ (baseline + those) (info)`,
          value: fmtRatio(stormOverTwoLegs),
        },
        {
          metric: `storm from the refresh on (${median(recovery).toFixed(1)} ms) ÷ baseline (info)`,
          value: fmtRatio(recoveryRatio),
        },
        { metric: 'baseline timeline (median)', value: line('baseline') },
        { metric: 'storm timeline (median)', value: line('storm') },
        { metric: 'trusted timeline (median)', value: line('trusted') },
        { metric: 'floor timeline (median)', value: line('floor') },
        { metric: 'rejected timeline (median)', value: line('rejected') },
        {
          metric: `client CPU ms per round ${VARIANTS.join(' / ')}`,
          value: VARIANTS.map((v) => (median(samples[v].map((s) => s.cpu)) / 1e6).toFixed(1)).join(' / '),
        },
      ];
      return {
        ratio: round(ratio, 4),
        goal: `storm ≤ ${GOAL}× (one refresh + ${CONCURRENCY} concurrent requests); exactly 1 refresh call; all ${CONCURRENCY} succeed`,
        pass,
        refreshCalls: exactlyOne ? 1 : refreshCalls,
        ok,
        concurrency: CONCURRENCY,
        instances: INSTANCES,
        rounds,
        floorRatio: round(floorRatio, 4),
        stormOverFloor: round(stormOverFloor, 4),
        trusted: {
          ratio: round(trustedRatio, 4),
          overFloor: round(trustedOverFloor, 4),
          refreshCalls: [...new Set(trustedCalls)],
          ok: trustedOk,
        },
        stormOverBaselinePlus401s: round(stormOverTwoLegs, 4),
        recoveryRatio: round(recoveryRatio, 4),
        wallMs: Object.fromEntries(VARIANTS.map((v) => [v, round(ms(v), 2)])),
        cpuMs: Object.fromEntries(VARIANTS.map((v) => [v, round(median(samples[v].map((s) => s.cpu)) / 1e6, 2)])),
        timeline: Object.fromEntries(VARIANTS.map((v) => [v, timeline(v)])),
        rows,
      };
    } finally {
      agent.destroy();
      server.stop();
    }
  },
};

export default scenario;
