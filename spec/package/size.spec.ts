/**
 * The size check: lib/ bundled as the benchmark measures it (esbuild, minified, gzipped -9,
 * rxjs and axios external). The goal is 10 kB (`BUDGET_GZ`, not met yet: see
 * docs/performance.md); until the design fits it, this guard keeps the bundle
 * from growing by accident.
 */
import { BUDGET_GZ, bundleSize, GUARD_GZ, OPT_IN_BUDGET_GZ } from '../../bench/size';

describe('the bundle size', () => {
  it(`stays under the ${GUARD_GZ / 1000} kB guard, gzipped (goal: ${BUDGET_GZ / 1000} kB)`, async () => {
    const { gz, text } = await bundleSize();
    expect(gz).toBeLessThan(GUARD_GZ);
    // What the guard measures is the library, with its peers left out.
    expect(text).toMatch(/from\s*"rxjs"/);
    expect(text).toMatch(/from\s*"axios"/);
    // The root entry is free of Angular (rx-session/angular's code is its own).
    expect(text).not.toContain('@angular');
  });

  it(`persistSession and syncTabs add at most ${OPT_IN_BUDGET_GZ / 1000} kB gzipped to the root entry`, async () => {
    const [core, all] = await Promise.all([bundleSize(), bundleSize(true)]);
    expect(all.text).toContain('storage-error'); // the opt-in code is in the second bundle
    expect(core.text).not.toContain('storage-error');
    expect(all.gz - core.gz).toBeLessThanOrEqual(OPT_IN_BUDGET_GZ);
  });
});
