/**
 * `npm run build:relay`: the relay as one ESM bundle in dist/relay/ (dependencies stay in
 * node_modules) with its SQL migrations beside it. Production and the benchmarks run this
 * with plain `node`: no TypeScript loader in the process (tsx costs tens of MB of RSS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RELAY_OUT_DIR = path.join(ROOT, 'dist/relay');
export const RELAY_ENTRY = path.join(RELAY_OUT_DIR, 'main.mjs');

export async function buildRelay(): Promise<string> {
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'server/main.ts')],
    outfile: RELAY_ENTRY,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  // migrate.ts reads migrations/ next to its module: next to the bundle here.
  fs.rmSync(path.join(RELAY_OUT_DIR, 'migrations'), { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'server/db/migrations'), path.join(RELAY_OUT_DIR, 'migrations'), { recursive: true });
  return RELAY_ENTRY;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildRelay().then(
    (out) => console.log(`relay bundle: ${path.relative(ROOT, out)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
