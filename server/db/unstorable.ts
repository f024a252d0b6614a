/**
 * PostgreSQL text and jsonb hold neither NUL nor a lone UTF-16 surrogate: a query carrying one
 * fails. In unicode mode a surrogate pair is one code point, so \p{Cs} matches only lone ones.
 */
export const UNSTORABLE_TEXT = /[\0\p{Cs}]/u;

/** Where a parsed value cannot be stored: a key or string PostgreSQL refuses, or nesting too deep. */
export interface Unstorable {
  path: (string | number)[];
  why: 'text' | 'depth';
}

interface Frame {
  value: unknown;
  key: string | number | null;
  parent: Frame | null;
  depth: number;
}

function pathOf(f: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let x: Frame | null = f; x && x.key !== null; x = x.parent) path.unshift(x.key);
  return path;
}

/**
 * The first place, in document order, where `value` cannot be stored, or null. Iterative, so
 * that nesting cannot overflow the stack; containers deeper than `maxDepth` (the value itself is
 * level 1) count as unstorable. Paths are built only for what is found.
 */
export function findUnstorable(value: unknown, maxDepth = Infinity): Unstorable | null {
  const stack: Frame[] = [{ value, key: null, parent: null, depth: 1 }];
  while (stack.length) {
    const f = stack.pop()!;
    const v = f.value;
    if (typeof v === 'string') {
      if (UNSTORABLE_TEXT.test(v)) return { path: pathOf(f), why: 'text' };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (f.depth > maxDepth) return { path: pathOf(f), why: 'depth' };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: f, depth: f.depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      if (UNSTORABLE_TEXT.test(keys[i])) return { path: [...pathOf(f), keys[i]], why: 'text' };
      stack.push({ value: (v as Record<string, unknown>)[keys[i]], key: keys[i], parent: f, depth: f.depth + 1 });
    }
  }
  return null;
}
