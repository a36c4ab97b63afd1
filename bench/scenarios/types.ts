/** What every scenario module (bench/scenarios/*.ts) exports as its default. */
export interface Scenario {
  /** The key in results.json, such as `'1-overhead'`. */
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export interface BenchContext {
  /** `--quick`: smaller request counts and fewer rounds (each scenario says what it cut). */
  quick: boolean;
  /** valgrind found: instruction counts can be taken. */
  valgrind: boolean;
  /** `--diagnose`: also count instructions of probes and ablations (slow; not in --quick). */
  diagnose: boolean;
  log(message: string): void;
}

/** One line of the printed table. */
export interface Row {
  metric: string;
  value: string;
  goal?: string;
  pass?: boolean;
}

/**
 * A scenario's field in results.json: `ratio`, `goal` and `pass` (the figure of merit),
 * the raw figures beside them, and the rows to print.
 */
export interface Measured {
  ratio: number | null;
  goal: string;
  /** `null` when it could not be decided (no valgrind). */
  pass: boolean | null;
  rows: Row[];
  [figure: string]: unknown;
}

/** A scenario that cannot run yet. */
export interface Skipped {
  skipped: string;
}

export type ScenarioResult = Measured | Skipped;

export function isSkipped(result: ScenarioResult): result is Skipped {
  return typeof (result as Partial<Skipped>).skipped === 'string';
}
