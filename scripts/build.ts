/**
 * `npm run build`: the Electron main process and the preload as esbuild bundles, and the
 * renderer through Vite (src-renderer/vite.config.ts → dist/renderer).
 *
 *   tsx scripts/build.ts              everything
 *   tsx scripts/build.ts main preload renderer   (any subset)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { EVENT_NAMES, REQUEST_NAMES } from '../src-shared/ipc/contract';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
export const RENDERER_OUT = path.join(DIST, 'renderer');
const RENDERER_SRC = path.join(ROOT, 'src-renderer');

/** Native or optional modules that must stay outside the bundle. */
const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'bufferutil', 'utf-8-validate'];

export async function buildMain(): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'src-main/electron/main.ts')],
    outfile: path.join(DIST, 'main/main.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: MAIN_EXTERNALS,
    sourcemap: 'linked',
    minifySyntax: true,
    legalComments: 'none',
    // ESM sources bundled as CommonJS: give `import.meta.url` a real value.
    banner: { js: "const __asgardImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__asgardImportMetaUrl' },
    logLevel: 'warning',
  });
}

export async function buildPreload(): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'src-preload/preload.ts')],
    outfile: path.join(DIST, 'preload/preload.cjs'),
    bundle: true,
    // A sandboxed preload is CommonJS with a restricted `require` (electron only).
    platform: 'node',
    format: 'cjs',
    target: 'chrome130',
    external: ['electron'],
    define: {
      __ASGARD_REQUEST_NAMES__: JSON.stringify(REQUEST_NAMES),
      __ASGARD_EVENT_NAMES__: JSON.stringify(EVENT_NAMES),
    },
    sourcemap: false,
    logLevel: 'warning',
  });
}

export function rendererSourcesExist(): boolean {
  return fs.existsSync(path.join(RENDERER_SRC, 'index.html')) && fs.existsSync(path.join(RENDERER_SRC, 'vite.config.ts'));
}

export async function buildRenderer(): Promise<boolean> {
  if (!rendererSourcesExist()) {
    console.warn('src-renderer/index.html or vite.config.ts is missing: renderer not built');
    return false;
  }
  const vite = await import('vite');
  await vite.build({
    configFile: path.join(RENDERER_SRC, 'vite.config.ts'),
    root: RENDERER_SRC,
    build: { outDir: RENDERER_OUT, emptyOutDir: true },
    logLevel: 'warn',
  });
  return true;
}

function newestMtime(dirs: string[], filter: (f: string) => boolean): number {
  let newest = 0;
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const f = path.join(e.parentPath, e.name);
      if (f.includes(`${path.sep}node_modules${path.sep}`) || !filter(f)) continue;
      newest = Math.max(newest, fs.statSync(f).mtimeMs);
    }
  }
  return newest;
}

/** True when dist/renderer is missing or older than any renderer or shared source. */
export function rendererIsStale(): boolean {
  const index = path.join(RENDERER_OUT, 'index.html');
  if (!fs.existsSync(index)) return true;
  const built = fs.statSync(index).mtimeMs;
  return newestMtime([RENDERER_SRC, path.join(ROOT, 'src-shared')], (f) => !/\.(test|spec)\./.test(f)) > built;
}

/** True when the main/preload bundles are missing or older than their sources. */
export function mainIsStale(): boolean {
  const outs = [path.join(DIST, 'main/main.cjs'), path.join(DIST, 'preload/preload.cjs')];
  if (!outs.every((f) => fs.existsSync(f))) return true;
  const built = Math.min(...outs.map((f) => fs.statSync(f).mtimeMs));
  return newestMtime(['src-main', 'src-preload', 'src-shared'].map((d) => path.join(ROOT, d)), (f) => f.endsWith('.ts')) > built;
}

async function cli(): Promise<void> {
  const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
  const all = wanted.size === 0;
  const t0 = Date.now();
  if (all || wanted.has('main')) await buildMain();
  if (all || wanted.has('preload')) await buildPreload();
  if (all || wanted.has('renderer')) await buildRenderer();
  console.log(`built ${all ? 'main, preload, renderer' : [...wanted].join(', ')} into dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
