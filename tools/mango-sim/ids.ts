// Opaque Mango-like identifiers (mango-api.md §2.1): base64 of digit/colon strings.
// Receivers must never parse them; we only mimic their look and length.
import { randomBytes } from 'node:crypto';
import { randomDigits, seededRng, type Rng } from './random';
import { DEFAULT_PRODUCT_ID } from './directory';

export interface IdSource {
  entry(): string;
  call(): string;
  recording(): string;
  command(): string;
  /** stats/request key: base64 that always contains '+', '/' and '='. */
  statsKey(): string;
  /** URL-safe token for one-shot download links. */
  token(): string;
}

export interface IdSourceOptions {
  /** Same seed → same ids (scenarios become reproducible). */
  seed?: number;
  /** Used in order before generating: lets a test pin the leg ids. */
  callIds?: string[];
  entryId?: string;
  productId?: number;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function createIdSource(opts: IdSourceOptions = {}): IdSource {
  const rng: Rng | undefined = opts.seed === undefined ? undefined : seededRng(opts.seed);
  const product = opts.productId ?? DEFAULT_PRODUCT_ID;
  const pinnedCalls = [...(opts.callIds ?? [])];
  let pinnedEntry = opts.entryId;
  // The counter keeps ids unique within one source even if random digits collide.
  let counter = 0;

  const digits = (n: number) =>
    rng ? randomDigits(rng, n) : randomDigits(() => randomBytes(4).readUInt32BE(0) / 4294967296, n);
  const bytes = (n: number): Buffer => {
    if (!rng) return randomBytes(n);
    const buf = Buffer.alloc(n);
    for (let i = 0; i < n; i++) buf[i] = Math.floor(rng() * 256);
    return buf;
  };

  return {
    entry() {
      if (pinnedEntry !== undefined) {
        const id = pinnedEntry;
        pinnedEntry = undefined;
        return id;
      }
      return b64(`${digits(10)}${++counter}`);
    },
    call() {
      const pinned = pinnedCalls.shift();
      if (pinned !== undefined) return pinned;
      return b64(`1:${product}:${digits(9)}:${++counter}`);
    },
    recording() {
      return b64(`1:${product}:${digits(10)}:${++counter}`);
    },
    command() {
      return `cmd-${digits(6)}-${++counter}`;
    },
    statsKey() {
      // 64 bytes → 88 chars ending in '=='; force '+' and '/' so clients must URL-encode.
      // Both are written together: forcing one at a time could overwrite the other.
      const key = bytes(64).toString('base64');
      return key.includes('+') && key.includes('/') ? key : '+/' + key.slice(2);
    },
    token() {
      return bytes(16).toString('hex');
    },
  };
}
