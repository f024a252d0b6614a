/**
 * The renderer runs in a sandboxed page: it must never pull in Node built-ins, Electron, the
 * database or mail libraries, nor code from src-main/ or server/ — directly or through
 * src-shared. Follows every relative import from src-renderer/ (the build config excepted).
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const FORBIDDEN_PACKAGES = ['electron', 'better-sqlite3', 'imapflow', 'nodemailer', 'mailparser', 'pg', 'ws', 'fastify', 'pino', 'smtp-server', '@electric-sql/pglite'];
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => 'node:' + m)]);

function specifiers(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]/g)) if (!m[2]) out.push(m[3]);
  for (const m of src.matchAll(/(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  for (const m of src.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) out.push(m[1]);
  return out;
}

function resolveRelative(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, base + '.ts', base + '.tsx', path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return null;
}

function rendererEntries(): string[] {
  return fs
    .readdirSync(path.join(ROOT, 'src-renderer'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') && e.name !== 'vite.config.ts')
    .map((e) => path.join(e.parentPath, e.name));
}

describe('renderer layering', () => {
  it('reaches no Node built-in, Electron, database or mail library, src-main or server', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    const queue = rendererEntries();
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const rel = path.relative(ROOT, file);
      if (rel.startsWith('src-main') || rel.startsWith('server') || rel.startsWith('src-preload')) problems.push(`${rel} is reached from the renderer`);
      for (const spec of specifiers(file)) {
        if (spec.startsWith('.')) {
          const target = resolveRelative(file, spec);
          if (target) queue.push(target);
          else if (!/\.(css|svg|png)$/.test(spec)) problems.push(`${rel}: cannot resolve ${spec}`);
          continue;
        }
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (BUILTINS.has(spec) || BUILTINS.has(pkg)) problems.push(`${rel}: imports the Node built-in ${spec}`);
        if (FORBIDDEN_PACKAGES.includes(pkg)) problems.push(`${rel}: imports ${spec}`);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});
