import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

// `npm run example:browser` (the script's command, as npm runs it): it must start, print
// its address, and serve the page and its bundle on 127.0.0.1. (spec/browser/example.browser.spec.ts
// drives the page itself in Chromium.)
it('npm run example:browser serves the page and its bundle on 127.0.0.1, at the address it prints', async () => {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'examples/browser/server.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (found?.[1]) resolve(found[1]);
      });
      child.on('exit', (code) => reject(new Error(`the example exited (${code}) before printing its address: ${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/app.js"></script>');
    const bundle = await fetch(new URL('/app.js', url));
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toContain('rx-session');
  } finally {
    child.kill();
  }
}, 60_000);
