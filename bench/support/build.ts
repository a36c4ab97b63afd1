import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'esbuild';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TMP = path.join(ROOT, 'bench', '.tmp');

/**
 * Ablations for diagnosis: the bound client rebuilt with one feature of the binding
 * taken out (by a textual patch of lib/ at build time, never committed). The difference
 * in instructions per request to the full binding is what that feature costs.
 * They are not correct clients: they only attribute cost.
 */
export const ABLATIONS: Record<string, { file: string; from: string; to: string }[]> = {
  // The fence sends at once: no protocol (no second judging, no hold check, no tracking, no 401 recovery).
  fenceDirect: [
    {
      file: 'lib/axios/binding.ts',
      from: 'return dispatch(view, new AxiosExchange(host, view, config, real)) as AxiosPromise;',
      to: 'return real(config);',
    },
  ],
  // No "must this request wait for a refresh or a probe" check.
  noHold: [
    {
      file: 'lib/request/protocol.ts',
      from: 'const hold = mayHold ? link.hold(x.caller) : undefined;',
      to: 'const hold = undefined as ProbeTicket | undefined;',
    },
  ],
  // No tagging when axios builds the chain (the binding, the epoch): the fence then sends
  // the request untied and without the token, as a copy of the instance's defaults.
  noRunWhen: [
    {
      file: 'lib/axios/binding.ts',
      from: '          config.rxSessionBinding = host;\n          config.rxSessionEpoch = view.scope;\n',
      to: '',
    },
  ],
  // No response interceptor (the delivery check).
  noDeliveryCheck: [
    {
      file: 'lib/axios/binding.ts',
      from: 'responseId = interceptors.response.use(checkDelivery, checkFailure);',
      to: 'void checkDelivery, checkFailure;',
    },
  ],
  // No per-request signal, no tracking in the epoch, no untie on settle.
  noTracking: [
    {
      file: 'lib/request/protocol.ts',
      from: '      outcome = { ok: true, value: await x.send(signal) };\n      x.release(outcome.value, signal);\n',
      to: '      outcome = { ok: true, value: await x.send(null) };\n',
    },
    { file: 'lib/request/protocol.ts', from: 'const signal = scope.track(x.caller);', to: 'const signal = { settle: noop };' },
  ],
  // The origin check always says yes.
  noOriginCheck: [
    { file: 'lib/axios/binding.ts', from: 'mayCarryToken: (config) => policy(config) && ', to: 'mayCarryToken: (config) => ' },
  ],
};

function ablationPlugin(patches: { file: string; from: string; to: string }[]): Plugin {
  return {
    name: 'ablate',
    setup(build) {
      build.onLoad({ filter: /lib[\\/].*\.ts$/ }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        for (const p of patches) {
          if (path.resolve(ROOT, p.file) !== args.path) continue;
          if (!text.includes(p.from)) throw new Error(`ablation patch not found in ${p.file}: ${p.from}`);
          text = text.replace(p.from, p.to);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

/** Builds the callgrind client (and any ablations of it) and the loopback server into bench/.tmp. */
export async function buildBenchBundles(ablations: readonly string[] = []): Promise<void> {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'cjs' as const,
    packages: 'external' as const,
    target: 'node18',
    logLevel: 'warning' as const,
  };
  const client = path.join(ROOT, 'bench/support/cg-client.ts');
  await build({ ...common, entryPoints: [client], outfile: clientBundle() });
  await build({ ...common, entryPoints: [path.join(ROOT, 'bench/support/server.ts')], outfile: path.join(TMP, 'server.cjs') });
  for (const name of ablations) {
    const patches = ABLATIONS[name];
    if (patches === undefined) throw new Error(`unknown ablation ${name}`);
    await build({ ...common, entryPoints: [client], outfile: clientBundle(name), plugins: [ablationPlugin(patches)] });
  }
}

/** The built callgrind client, or one of its ablations. */
export function clientBundle(ablation?: string): string {
  return path.join(TMP, ablation === undefined ? 'cg-client.cjs' : `cg-client.${ablation}.cjs`);
}
