import { execFile } from 'node:child_process';
import path from 'node:path';

// `npm start` is what the README offers a newcomer first: it must keep working.
const ROOT = path.resolve(__dirname, '..', '..');

it('the demo (npm start) runs to the end, and every expectation it checks holds', async () => {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'examples', 'demo.ts')],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    );
  });
  expect(output).toContain('All expectations held.');
  expect(output).toContain('20/20 succeeded; 6 carried the revoked token');
}, 90_000);
