/**
 * The packaging step itself, as far as it can run here: electron-builder's Linux `dir` target
 * (the unpacked app every installer is made from) with a stand-in for Electron's binary, which
 * cannot be downloaded here. The stand-in carries Electron's fuse wire, so the configured fuses
 * are really flipped and read back. What this proves: the files globs, asar packing, the native
 * SQLite module left unpacked, app-update.yml for the updater, the executable name and the
 * fuses. What it cannot: that Electron starts, and the installers (nsis, dmg, AppImage, deb),
 * which the GitHub workflow builds.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain, buildPreload, buildRenderer, mainIsStale, rendererIsStale } from '../../scripts/build';

const ROOT = path.resolve(__dirname, '../..');
const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(archive: string, o?: unknown): string[]; extractFile(archive: string, file: string): Buffer };
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's fuse order (@electron/fuses FuseV1Options). */
const FUSES = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
];

let tmp: string;
let out: string;

beforeAll(async () => {
  if (mainIsStale()) await Promise.all([buildMain(), buildPreload()]);
  if (rendererIsStale()) await buildRenderer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-package-'));
  const fake = path.join(tmp, 'electron-dist');
  fs.mkdirSync(path.join(fake, 'resources'), { recursive: true });
  // A shell script that holds a fuse wire: version 1, 8 fuses, Electron's defaults.
  fs.writeFileSync(
    path.join(fake, 'electron'),
    Buffer.concat([Buffer.from('#!/bin/sh\n# '), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('10110001'), Buffer.from('\necho stand-in\n')]),
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(fake, 'version'), '0.0.0');
  out = path.join(tmp, 'release');
  await promisify(execFile)(
    path.join(ROOT, 'node_modules/.bin/electron-builder'),
    ['--linux', 'dir', '--publish', 'never', `-c.electronDist=${fake}`, '-c.npmRebuild=false', `-c.directories.output=${out}`],
    { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 16 << 20, timeout: 180_000 },
  );
}, 240_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('electron-builder --linux dir (stand-in Electron binary)', () => {
  it('names the executable and flips every configured fuse', () => {
    const exe = fs.readFileSync(path.join(out, 'linux-unpacked', 'asgard-phone'));
    const at = exe.indexOf(SENTINEL) + SENTINEL.length;
    expect(exe[at]).toBe(1);
    const wire = exe.subarray(at + 2, at + 2 + exe[at + 1]).toString('latin1');
    const state = Object.fromEntries(FUSES.map((f, i) => [f, wire[i] === '1']));
    expect(state).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs only the bundles and the SQLite binding into app.asar; the .node file stays unpacked', () => {
    const archive = path.join(out, 'linux-unpacked', 'resources', 'app.asar');
    const files = asar.listPackage(archive).map((f) => f.replace(/\\/g, '/'));
    for (const f of ['/package.json', '/dist/main/main.cjs', '/dist/preload/preload.cjs', '/dist/renderer/index.html', '/node_modules/better-sqlite3/lib/index.js', '/node_modules/bindings/bindings.js'])
      expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^\/(src-|server|test|tools|bench|scripts)/.test(f))).toEqual([]);
    const modules = new Set(files.filter((f) => f.startsWith('/node_modules/')).map((f) => f.split('/')[2]));
    expect([...modules].sort()).toEqual(['better-sqlite3', 'bindings', 'file-uri-to-path']);
    expect(fs.existsSync(path.join(out, 'linux-unpacked/resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    // The main bundle carries electron-updater (bundled, not a node_modules dependency).
    expect(asar.extractFile(archive, 'dist/main/main.cjs').toString('utf8')).toContain('GenericProvider');
    const pkg = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as { main: string; version: string };
    expect(pkg.main).toBe('dist/main/main.cjs');
  });

  it('writes app-update.yml for electron-updater (generic provider; the app re-points it from its settings)', () => {
    const yml = fs.readFileSync(path.join(out, 'linux-unpacked', 'resources', 'app-update.yml'), 'utf8');
    expect(yml).toMatch(/^provider: generic$/m);
    expect(yml).toMatch(/^updaterCacheDirName: asgard-phone-updater$/m);
  });
});
