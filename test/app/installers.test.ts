/**
 * What can be checked of the installers here, where Electron's binary cannot be downloaded:
 * electron-builder.yml passes electron-builder's own configuration validation (the schema it
 * checks before any build), names every target the issue asks for, the update channel and the
 * icons; and the GitHub workflow that builds the installers elsewhere covers every platform.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
type Config = Record<string, unknown> & {
  win: { target: { target: string }[]; icon: string };
  mac: { target: { target: string; arch: string[] }[]; icon: string; hardenedRuntime: boolean };
  linux: { target: string[]; icon: string };
  nsis: { perMachine: boolean; oneClick: boolean };
  publish: { provider: string; url: string };
  productName: string;
  npmRebuild: boolean;
  icon: string;
};
const builder = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: unknown): Promise<Config>;
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  expect(b.subarray(0, 8).toString('hex'), file).toBe('89504e470d0a1a0a');
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's configuration validation (and the validation is real)", async () => {
    const config = await builder.getConfig(ROOT, null, null);
    await expect(builder.validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(builder.validateConfiguration({ ...config, nsis: { ...config.nsis, perUser: 'yes' } }, new DebugLogger(false))).rejects.toThrow(/configuration/);
  });

  it('builds nsis (per user), dmg (hardened runtime), AppImage and deb as «АСГАРД Телефония», better-sqlite3 rebuilt', async () => {
    const c = await builder.getConfig(ROOT, null, null);
    expect(c.productName).toBe('АСГАРД Телефония');
    expect(c.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(c.nsis).toMatchObject({ perMachine: false, oneClick: false });
    expect(c.mac.target.map((t) => t.target)).toEqual(['dmg']);
    expect(c.mac.hardenedRuntime).toBe(true);
    expect(c.linux.target).toEqual(['AppImage', 'deb']);
    expect(c.npmRebuild).toBe(true);
  });

  it('publishes a generic update feed (placeholder URL; the app takes the real one from its settings)', async () => {
    const c = await builder.getConfig(ROOT, null, null);
    expect(c.publish.provider).toBe('generic');
    expect(new URL(c.publish.url).protocol).toBe('https:');
  });

  it('references icons that exist: 1024 px PNG, a Windows .ico with a 256 px entry, Linux sizes', async () => {
    const c = await builder.getConfig(ROOT, null, null);
    expect(pngSize(path.join(ROOT, c.icon))).toEqual({ width: 1024, height: 1024 });
    expect(pngSize(path.join(ROOT, c.mac.icon))).toEqual({ width: 1024, height: 1024 });
    for (const size of [16, 32, 48, 64, 128, 256, 512])
      expect(pngSize(path.join(ROOT, c.linux.icon, `${size}x${size}.png`))).toEqual({ width: size, height: size });
    const ico = fs.readFileSync(path.join(ROOT, c.win.icon));
    expect(ico.readUInt16LE(2)).toBe(1); // type: icon
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico[6 + i * 16] || 256);
    expect(sizes).toContain(256);
    // Each entry points at a PNG inside the file.
    for (let i = 0; i < count; i++) {
      const offset = ico.readUInt32LE(6 + i * 16 + 12);
      expect(ico.subarray(offset, offset + 4).toString('hex')).toBe('89504e47');
    }
  });
});

describe('.github/workflows/installers.yml', () => {
  type Step = { name?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };
  const wf = yaml.load(fs.readFileSync(path.join(ROOT, '.github/workflows/installers.yml'), 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<string, { 'runs-on': string; strategy: { matrix: { include: { os: string; 'builder-args': string; artifacts: string }[] } }; steps: Step[] }>;
  };
  const job = Object.values(wf.jobs)[0];
  const matrix = job.strategy.matrix.include;

  it('runs on Windows, macOS and Linux runners, by hand or on a version tag', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(job['runs-on']).toBe('${{ matrix.os }}');
    expect(matrix.map((m) => m.os).sort()).toEqual(['macos-latest', 'ubuntu-latest', 'windows-latest']);
  });

  it('each runner builds its own targets and uploads them', () => {
    const byOs = Object.fromEntries(matrix.map((m) => [m.os, m]));
    expect(byOs['windows-latest']['builder-args']).toBe('--win nsis');
    expect(byOs['macos-latest']['builder-args']).toBe('--mac dmg');
    expect(byOs['ubuntu-latest']['builder-args']).toBe('--linux AppImage deb');
    expect(byOs['windows-latest'].artifacts).toMatch(/\*\.exe/);
    expect(byOs['macos-latest'].artifacts).toMatch(/\*\.dmg/);
    expect(byOs['ubuntu-latest'].artifacts).toMatch(/\*\.AppImage[\s\S]*\*\.deb/);
    for (const m of matrix) expect(m.artifacts, m.os).toMatch(/latest(-mac|-linux)?\.yml/);
  });

  it('npm ci, Electron download, build, then electron-builder without publishing, then upload', () => {
    const runs = job.steps.map((s) => s.run ?? s.uses ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    const order = [/^npm ci$/, /electron\/install\.js/, /^npm run build$/, /^npx electron-builder \$\{\{ matrix\.builder-args \}\} --publish never$/, /^actions\/upload-artifact@/];
    const idx = order.map(at);
    expect(idx.every((i) => i >= 0), String(idx)).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.with).toMatchObject({ path: '${{ matrix.artifacts }}', 'if-no-files-found': 'error' });
    // The builder's output folder is the one the artifacts are taken from.
    const out = (yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as { directories: { output: string } }).directories.output;
    expect(out).toBe('release');
    expect(matrix.every((m) => m.artifacts.split('\n').filter(Boolean).every((p) => p.startsWith('release/')))).toBe(true);
  });
});
