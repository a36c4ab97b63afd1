import { defined, median, ratioOfRounds, round, type Sample } from './stats';

/** Medians per variant, and the median of per-round ratios to plain. */
export function summarise<K extends string>(
  samples: Record<K, Sample[]>,
): Record<K, { cpu: number; wall: number; cpuRatio: number; wallRatio: number }> {
  const plain = defined((samples as Partial<Record<string, Sample[]>>)['plain'], 'the plain variant');
  return Object.fromEntries(
    (Object.keys(samples) as K[]).map((k) => {
      const s = samples[k];
      return [
        k,
        {
          cpu: round(median(s.map((x) => x.cpu)), 0),
          wall: round(median(s.map((x) => x.wall)), 0),
          cpuRatio: round(
            ratioOfRounds(
              s.map((x) => x.cpu),
              plain.map((x) => x.cpu),
            ),
            4,
          ),
          wallRatio: round(
            ratioOfRounds(
              s.map((x) => x.wall),
              plain.map((x) => x.wall),
            ),
            4,
          ),
        },
      ];
    }),
  ) as Record<K, { cpu: number; wall: number; cpuRatio: number; wallRatio: number }>;
}

export function roundAll(o: Record<string, { low: number; high: number; perRequest: number }>): typeof o {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { ...v, perRequest: Math.round(v.perRequest) }]));
}

export const fmtRatio = (x: number | null | undefined): string => (x == null || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));
export const fmtInt = (x: number | null | undefined): string =>
  x == null || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US');

/** a ÷ b, or `null` when either is missing. */
export const ratioOrNull = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a / b);
/** a − b, or `null` when either is missing. */
export const deltaOrNull = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
/** A signed integer (`+12`, `-3`), or `n/a`. */
export const fmtDelta = (x: number | null): string => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${fmtInt(x)}`);
