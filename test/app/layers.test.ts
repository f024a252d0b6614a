/**
 * Layering rules of DESIGN.md that a reviewer would otherwise have to remember: the core is
 * plain Node (no electron), the bridge and the renderer's bridge client never need Electron,
 * and the preload pulls in nothing but electron (sandboxed preloads cannot require modules).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Module specifiers of every static and dynamic import / require in a file. */
function imports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) out.push(m[1]);
  for (const m of src.matchAll(/(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  for (const m of src.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) out.push(m[1]);
  return out;
}

describe('layers', () => {
  it('src-main/core never imports electron', () => {
    for (const f of tsFiles('src-main/core')) expect(imports(f).filter((s) => s === 'electron' || s.startsWith('electron/')), f).toEqual([]);
  });

  it('src-main/bridge never imports electron or src-main/electron', () => {
    for (const f of tsFiles('src-main/bridge')) expect(imports(f).filter((s) => s === 'electron' || s.includes('/electron/')), f).toEqual([]);
  });

  it('the bridge client uses browser APIs only', () => {
    const f = path.join(ROOT, 'src-shared/ipc/bridge-client.ts');
    expect(imports(f).every((s) => s.startsWith('./')), String(imports(f))).toBe(true);
  });

  it('the preload imports only electron (and types)', () => {
    const src = fs.readFileSync(path.join(ROOT, 'src-preload/preload.ts'), 'utf8');
    const runtime = [...src.matchAll(/^import\s+(?!type\b)[^'"]*from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    expect(runtime).toEqual(['electron']);
  });
});
