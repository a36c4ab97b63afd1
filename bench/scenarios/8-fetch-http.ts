import { createFetch, SessionStore } from '../../lib/index';
import { fmtInt, fmtRatio } from '../support/format';
import { fetchProbes, fmtSpread, measureNoGc, perRoundRatios, roundSpread, spreadOf } from '../support/fetch-bench';
import { fetchInstructionsPerRequest } from '../support/fetch-callgrind';
import { startServer } from '../support/loopback';
import type { StormCounts } from '../support/server';
import { defined, interleave, median, round } from '../support/stats';
import type { Row, Scenario } from './types';

const GOAL = 1.05;
/** The token `/storm/data` takes until a refresh (none in this scenario): every request is checked by the server. */
const TOKEN = 'storm-0';
/** Untimed requests per variant first: undici's CPU per request falls for about 5,000 requests (the JIT) before it settles. */
const WARMUP_REQUESTS = 6_000;

/**
 * Client CPU per request of `createFetch(store)` (signed in, no refresh) ÷ Node's global
 * `fetch` carrying the same `Authorization` header by hand, sequential requests over one
 * keep-alive connection (undici's default) to the loopback server in its own process, each
 * body read with `await res.text()`.
 *
 * Decided by `process.cpuUsage()` of this process (every thread: GC helpers included), not
 * by instruction counts: undici needs WebAssembly, which `node --jitless` (what the
 * callgrind clients of scenarios 1 and 2 run under) does not have. So: the median of
 * per-round ratios over 41 (`--quick`) or 81 interleaved rounds of 500 requests (plain and
 * bound alternate, the order swapped every round) after 12 untimed rounds, with the
 * spread of those ratios. No forced GC between rounds (see `measureNoGc`).
 *
 * With `--diagnose` (and valgrind), also instructions per request with the JIT on (see
 * fetch-callgrind.ts; about 8 minutes), and plain fetch plus one ingredient of the binding
 * at a time (`fetchProbes`), timed in the same rounds.
 *
 * Both variants hit `GET /storm/data`, which answers 200 only with `Bearer storm-0` (401
 * otherwise) and counts both: the run fails unless every request carried the token.
 */
const scenario: Scenario = {
  id: '8-fetch-http',
  title: 'fetch over loopback HTTP, keep-alive, sequential',
  async run(ctx) {
    const server = await startServer();
    try {
      const perRound = 500;
      const rounds = ctx.quick ? 41 : 81;
      const warmupRounds = Math.ceil(WARMUP_REQUESTS / perRound);
      const origin = `http://127.0.0.1:${server.port}`;
      const url = `${origin}/storm/data`;
      const headers = { Authorization: `Bearer ${TOKEN}` };
      const store = new SessionStore({ initial: TOKEN });
      const api = createFetch(store, { baseURL: `${origin}/` });
      const clients: Record<string, () => Promise<Response>> = {
        plain: () => fetch(url, { headers }),
        bound: () => api('storm/data'),
        ...(ctx.diagnose ? fetchProbes(origin, 'storm/data', headers) : {}),
      };
      const variants = Object.keys(clients);
      const sendRound = (name: string) => async (): Promise<void> => {
        const one = defined(clients[name], name);
        for (let i = 0; i < perRound; i++) {
          const res = await one();
          if (res.status !== 200) throw new Error(`${name}: status ${res.status} (the token did not arrive)`);
          await res.text();
        }
      };
      ctx.log(
        `timing ${variants.join(', ')}: ${rounds} rounds of ${perRound} sequential requests each, after ${warmupRounds} warm-up rounds`,
      );
      const samples = await interleave(
        Object.fromEntries(variants.map((name) => [name, () => measureNoGc(perRound, sendRound(name))])),
        rounds,
        warmupRounds,
      );
      const plain = defined(samples['plain'], 'plain');
      const bound = defined(samples['bound'], 'bound');
      const seen = (await (await fetch(`${origin}/storm/count`)).json()) as StormCounts;
      const expected = variants.length * perRound * (rounds + warmupRounds);
      if (seen.authorized !== expected || seen.unauthorized !== 0) {
        throw new Error(`server saw ${seen.authorized} authorized (expected ${expected}), ${seen.unauthorized} unauthorized`);
      }
      if (store.inFlight !== 0) throw new Error(`inFlight ${store.inFlight} after the rounds`);
      store.dispose();

      // With --diagnose: instruction counts with the JIT on (see fetch-callgrind.ts), as information.
      let instructions: Awaited<ReturnType<typeof fetchInstructionsPerRequest>> | null = null;
      const counts: [number, number] = [1_000, 3_000];
      if (ctx.diagnose && ctx.valgrind) {
        ctx.log(`callgrind (JIT on, --predictable): plain and bound fetch at ${counts.join(' and ')} requests`);
        instructions = await fetchInstructionsPerRequest(server.port, counts);
      }

      const cpuRatios = perRoundRatios(
        bound.map((s) => s.cpu),
        plain.map((s) => s.cpu),
      );
      const wallRatios = perRoundRatios(
        bound.map((s) => s.wall),
        plain.map((s) => s.wall),
      );
      const cpu = spreadOf(cpuRatios);
      const wall = spreadOf(wallRatios);
      const ratio = cpu.median;
      const pass = ratio <= GOAL;
      const us = (v: string, k: 'cpu' | 'wall'): number => median(defined(samples[v], v).map((s) => s[k])) / 1000;
      const rows: Row[] = [
        {
          metric: `client CPU/request createFetch ÷ plain fetch (median of ${rounds} rounds)`,
          value: fmtRatio(ratio),
          goal: `≤ ${GOAL}`,
          pass,
        },
        { metric: 'spread of per-round CPU ratios', value: fmtSpread(cpu) },
        {
          metric: 'client CPU µs/request plain / bound (median rounds; their ratio)',
          value: `${us('plain', 'cpu').toFixed(1)} / ${us('bound', 'cpu').toFixed(1)} (${fmtRatio(us('bound', 'cpu') / us('plain', 'cpu'))})`,
        },
        {
          metric: 'wall µs/request plain / bound (info)',
          value: `${us('plain', 'wall').toFixed(1)} / ${us('bound', 'wall').toFixed(1)}`,
        },
        { metric: 'wall bound ÷ plain (info)', value: `${fmtRatio(wall.median)} (${fmtSpread(wall)})` },
      ];
      const probes = variants.filter((v) => v !== 'plain' && v !== 'bound');
      const probeRatios = Object.fromEntries(
        probes.map((v) => [
          v,
          round(
            spreadOf(
              perRoundRatios(
                defined(samples[v], v).map((s) => s.cpu),
                plain.map((s) => s.cpu),
              ),
            ).median,
            4,
          ),
        ]),
      );
      for (const v of probes) rows.push({ metric: `diagnose: client CPU ${v} ÷ plain`, value: fmtRatio(probeRatios[v]) });
      if (instructions !== null) {
        rows.push({
          metric: `diagnose: instructions/request bound ÷ plain, JIT on (${fmtInt(instructions.bound.perRequest)} vs ${fmtInt(instructions.plain.perRequest)})`,
          value: fmtRatio(instructions.bound.perRequest / instructions.plain.perRequest),
        });
      }
      return {
        ratio: round(ratio, 4),
        goal: `client CPU/request createFetch ÷ plain fetch ≤ ${GOAL} (median of per-round ratios)`,
        pass,
        cpuRatioSpread: roundSpread(cpu),
        wallRatioSpread: roundSpread(wall),
        time: {
          requestsPerRound: perRound,
          rounds,
          warmupRounds,
          plain: { cpuNs: round(us('plain', 'cpu') * 1000, 0), wallNs: round(us('plain', 'wall') * 1000, 0) },
          bound: { cpuNs: round(us('bound', 'cpu') * 1000, 0), wallNs: round(us('bound', 'wall') * 1000, 0) },
        },
        ratioOfMedians: round(us('bound', 'cpu') / us('plain', 'cpu'), 4),
        perRoundCpuRatios: cpuRatios.map((r) => round(r, 4)),
        ...(probes.length > 0 ? { probeCpuRatios: probeRatios } : {}),
        instructions:
          instructions === null
            ? null
            : { counts, nodeFlags: '--predictable --hash-seed=2 --random-seed=2', perClient: instructions },
        rows,
      };
    } finally {
      server.stop();
    }
  },
};

export default scenario;
