import http from 'node:http';
import { fmtInt, fmtRatio, ratioOrNull, roundAll, summarise } from '../support/format';
import { startServer } from '../support/loopback';
import { interleave, measure, round } from '../support/stats';
import { CONCURRENCY, makeClient, VARIANTS, byVariant, type Variant } from '../support/variants';
import { diagnosticNames, diagnosticRows, instructionsPerRequest } from './1-overhead';
import type { Row, Scenario } from './types';

const GOAL = 1.05;

const scenario: Scenario = {
  id: '2-http',
  title: `Loopback HTTP, keep-alive, concurrency ${CONCURRENCY}`,
  async run(ctx) {
    const server = await startServer();
    try {
      const perRound = ctx.quick ? 2_000 : 5_000;
      const rounds = ctx.quick ? 5 : 9;
      const agents: http.Agent[] = [];
      const clients = byVariant((v) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
        agents.push(agent);
        return makeClient(v, { baseURL: `http://127.0.0.1:${server.port}`, httpAgent: agent }).api;
      });
      ctx.log(`timing ${VARIANTS.join(', ')}: ${rounds} rounds of ${perRound} requests, ${CONCURRENCY} at a time`);
      const samples = await interleave(
        byVariant(
          (v) => () =>
            measure(perRound, async () => {
              const api = clients[v];
              let left = perRound;
              const worker = async (): Promise<void> => {
                while (left-- > 0) await api.get('/x');
              };
              await Promise.all(Array.from({ length: CONCURRENCY }, worker));
            }),
        ),
        rounds,
      );
      for (const agent of agents) agent.destroy();
      const time = summarise(samples);

      let instructions: Awaited<ReturnType<typeof instructionsPerRequest>> | null = null;
      const counts: [number, number] = ctx.quick ? [60, 200] : [500, 1500];
      if (ctx.valgrind) {
        const names = [...VARIANTS, ...diagnosticNames(ctx.diagnose)];
        ctx.log(`callgrind: ${names.length} clients at ${counts.join(' and ')} requests`);
        instructions = await instructionsPerRequest(names, 'http', counts, server.port);
      }
      const per = (v: string): number | null => instructions?.[v]?.perRequest ?? null;
      const ratio = ratioOrNull(per('bound'), per('plain'));
      const pass = ratio === null ? null : ratio <= GOAL;
      const rps = (v: Variant): number => 1e9 / time[v].wall;
      const rows: Row[] = [
        {
          metric: 'client instructions/request bound ÷ plain',
          value: fmtRatio(ratio),
          goal: `≤ ${GOAL}`,
          ...(pass === null ? {} : { pass }),
        },
        {
          metric: 'client instructions/request plain / bound / auth-refresh',
          value: VARIANTS.map((v) => fmtInt(per(v))).join(' / '),
        },
        { metric: 'req/s plain / bound / auth-refresh', value: VARIANTS.map((v) => fmtInt(rps(v))).join(' / ') },
        {
          metric: 'client CPU µs/request plain / bound / auth-refresh',
          value: VARIANTS.map((v) => (time[v].cpu / 1000).toFixed(1)).join(' / '),
        },
        {
          metric: 'client CPU bound ÷ plain, auth-refresh ÷ plain (info)',
          value: `${fmtRatio(time.bound.cpuRatio)}, ${fmtRatio(time.authRefresh.cpuRatio)}`,
        },
      ];
      if (ctx.diagnose && instructions !== null) rows.push(...diagnosticRows(per));
      return {
        ratio: ratio === null ? null : round(ratio, 4),
        goal: `client instructions/request bound ÷ plain ≤ ${GOAL}`,
        pass,
        instructions: instructions === null ? null : { counts, perClient: roundAll(instructions) },
        time: {
          requestsPerRound: perRound,
          rounds,
          ...Object.fromEntries(VARIANTS.map((v) => [v, { ...time[v], requestsPerSecond: Math.round(rps(v)) }])),
        },
        rows,
      };
    } finally {
      server.stop();
    }
  },
};

export default scenario;
