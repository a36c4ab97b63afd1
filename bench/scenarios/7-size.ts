import { BUDGET_GZ, measureSize, REFERENCES } from '../size';
import type { Row, Scenario } from './types';

const scenario: Scenario = {
  id: '7-size',
  title: 'Bundle size (esbuild, minified, gzipped; rxjs and axios external)',
  async run() {
    const report = await measureSize();
    const pass = report.gz <= BUDGET_GZ;
    const rows: Row[] = [
      {
        metric: `lib gzipped (core + lifecycle), ${report.min} B minified`,
        value: `${report.gz} B`,
        goal: `≤ ${BUDGET_GZ} B`,
        pass,
      },
      {
        metric: 'references (gz)',
        value:
          Object.entries(REFERENCES)
            .map(([name, bytes]) => `${name} ${(bytes / 1000).toFixed(1)} kB`)
            .join(', ') + ` (axios-auth-refresh measured here: ${report.axiosAuthRefreshMeasured} B)`,
      },
      ...Object.entries(report.apps).map(([app, bytes]) => ({ metric: `  an app importing ${app}`, value: `${bytes} B gz` })),
      ...Object.entries(report.capabilities).map(([name, bytes]) => ({
        metric: `  capability: ${name}`,
        value: `${bytes} B gz share`,
      })),
      ...report.modules.map((m) => ({
        metric: `  ${m.file}`,
        value: `${m.gzShare} B gz share (${m.min} B min, ${m.gzAlone} B gz alone)`,
      })),
      {
        metric: '  of which long string literals (messages)',
        value: `${report.longStrings.min} B min, ${report.longStrings.gz} B gz alone`,
      },
    ];
    return {
      ratio: Math.round((report.gz / BUDGET_GZ) * 1000) / 1000,
      goal: `gzipped ≤ ${BUDGET_GZ} B`,
      pass,
      ...report,
      references: REFERENCES,
      rows,
    };
  },
};

export default scenario;
