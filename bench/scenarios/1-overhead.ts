import { clientBundle } from '../support/build';
import { countInstructions, pool } from '../support/callgrind';
import { ABLATIONS } from '../support/build';
import { deltaOrNull, fmtDelta, fmtInt, fmtRatio, ratioOrNull, roundAll, summarise } from '../support/format';
import { defined, interleave, measure, round } from '../support/stats';
import { makeClient, NOOP_BASE, noopAdapter, PROBES, VARIANTS, byVariant } from '../support/variants';
import type { Scenario, Row } from './types';

const GOAL = 1.05;

/**
 * Instructions per request of each callgrind client (variants, and with `--diagnose` the
 * probes and ablations), from runs at two request counts.
 */
export async function instructionsPerRequest(
  names: readonly string[],
  mode: 'noop' | 'http',
  counts: readonly [number, number],
  port?: number,
): Promise<Record<string, { low: number; high: number; perRequest: number }>> {
  const jobs = names.flatMap((name) =>
    counts.map((count) => () => {
      const ablation = name.startsWith('bound.') ? name.slice('bound.'.length) : undefined;
      const variant = ablation === undefined ? name : 'bound';
      const extra = port === undefined ? [] : [String(port)];
      return countInstructions(clientBundle(ablation), [variant, mode, String(count), ...extra]);
    }),
  );
  const totals = await pool(jobs);
  return Object.fromEntries(
    names.map((name, i) => {
      const low = defined(totals[2 * i], `${name} at ${counts[0]} requests`);
      const high = defined(totals[2 * i + 1], `${name} at ${counts[1]} requests`);
      return [name, { low, high, perRequest: (high - low) / (counts[1] - counts[0]) }];
    }),
  );
}

/** With `--diagnose`: each probe's or ablation's instructions per request, and its difference to what it builds on. */
export function diagnosticRows(per: (name: string) => number | null): Row[] {
  return diagnosticNames(true).map((name) => {
    const base = name.startsWith('bound.') ? 'bound' : 'plain';
    return {
      metric: `diagnose: ${name} instr/request (Δ vs ${base})`,
      value: `${fmtInt(per(name))} (${fmtDelta(deltaOrNull(per(name), per(base)))})`,
    };
  });
}

export function diagnosticNames(diagnose: boolean): string[] {
  return diagnose ? [...PROBES, ...Object.keys(ABLATIONS).map((a) => `bound.${a}`)] : [];
}

const scenario: Scenario = {
  id: '1-overhead',
  title: 'Per-request overhead, no-op adapter',
  async run(ctx) {
    const perRound = 50_000;
    const rounds = ctx.quick ? 3 : 9;
    const clients = byVariant((v) => makeClient(v, { baseURL: NOOP_BASE, adapter: noopAdapter }).api);
    ctx.log(`timing ${VARIANTS.join(', ')}: ${rounds} rounds of ${perRound} sequential requests`);
    const samples = await interleave(
      byVariant(
        (v) => () =>
          measure(perRound, async () => {
            const api = clients[v];
            for (let i = 0; i < perRound; i++) await api.get('/x');
          }),
      ),
      rounds,
    );
    const time = summarise(samples);

    let instructions: Record<string, { low: number; high: number; perRequest: number }> | null = null;
    const counts: [number, number] = [1000, 3000]; // fewer scatter by ±2%: too coarse for a 5% goal
    if (ctx.valgrind) {
      const names = [...VARIANTS, ...diagnosticNames(ctx.diagnose)];
      ctx.log(`callgrind: ${names.length} clients at ${counts.join(' and ')} requests`);
      instructions = await instructionsPerRequest(names, 'noop', counts);
    }
    const per = (v: string): number | null => instructions?.[v]?.perRequest ?? null;
    const ratio = ratioOrNull(per('bound'), per('plain'));
    const refreshRatio = ratioOrNull(per('authRefresh'), per('plain'));
    const pass = ratio === null ? null : ratio <= GOAL;
    const rows: Row[] = [
      {
        metric: 'instructions/request bound ÷ plain',
        value: fmtRatio(ratio),
        goal: `≤ ${GOAL}`,
        ...(pass === null ? {} : { pass }),
      },
      { metric: 'instructions/request axios-auth-refresh ÷ plain (info)', value: fmtRatio(refreshRatio) },
      {
        metric: 'instructions/request plain / bound / auth-refresh',
        value: VARIANTS.map((v) => fmtInt(per(v))).join(' / '),
      },
      { metric: 'CPU ns/request plain / bound / auth-refresh', value: VARIANTS.map((v) => fmtInt(time[v].cpu)).join(' / ') },
      { metric: 'wall ns/request plain / bound / auth-refresh', value: VARIANTS.map((v) => fmtInt(time[v].wall)).join(' / ') },
      {
        metric: 'CPU time bound ÷ plain, auth-refresh ÷ plain (info)',
        value: `${fmtRatio(time.bound.cpuRatio)}, ${fmtRatio(time.authRefresh.cpuRatio)}`,
      },
    ];
    if (ctx.diagnose && instructions !== null) rows.push(...diagnosticRows(per));
    return {
      ratio: ratio === null ? null : round(ratio, 4),
      goal: `instructions/request bound ÷ plain ≤ ${GOAL}`,
      pass,
      authRefreshRatio: refreshRatio === null ? null : round(refreshRatio, 4),
      instructions: instructions === null ? null : { counts, perClient: roundAll(instructions) },
      time: { requestsPerRound: perRound, rounds, ...time },
      rows,
    };
  },
};

export default scenario;
