/**
 * Settings (plain, in the kv table) and the session (the relay token only as SecretBox
 * ciphertext). Nothing here ever returns the token to a caller other than the relay client.
 */
import type { z } from 'zod';
import { PopupOptionsSchema, SettingsSchema, type Settings, type SettingsPatch } from '../../src-shared/ipc/app';
import type { KvRepo } from './store/kv-repo';
import type { SecretBox } from './secrets/secret-box';
import { SecretBoxUnavailableError } from './secrets/secret-box';
import { EmployeeSchema, type Employee } from '../../src-shared/wire';

export {
  MAX_POPUP_DURATION_SEC,
  POPUP_POSITIONS,
  PopupOptionsSchema,
  PopupPositionSchema,
  SettingsPatchSchema,
  SettingsSchema,
  type PopupOptions,
  type PopupPosition,
  type Settings,
  type SettingsPatch,
} from '../../src-shared/ipc/app';

/**
 * Reads stored settings field by field: one value a newer or older version wrote that no
 * longer validates falls back to its default alone, instead of resetting the relay address
 * and every other choice with it.
 */
export function parseSettings(raw: unknown): Settings {
  const whole = SettingsSchema.safeParse(raw ?? {});
  if (whole.success) return whole.data;
  const obj = isRecord(raw) ? raw : {};
  const { popup: _popup, ...top } = SettingsSchema.shape;
  return SettingsSchema.parse({ ...validFields(top, obj), popup: validFields(PopupOptionsSchema.shape, obj.popup) });
}

/** The fields of `raw` that validate against their own schema in `shape`; the rest left out. */
function validFields(shape: Record<string, z.ZodType>, raw: unknown): Record<string, unknown> {
  const obj = isRecord(raw) ? raw : {};
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const r = schema.safeParse(obj[key]);
    if (r.success) out[key] = r.data;
  }
  return out;
}

/** A patch's keys that carry a value: `{x: undefined}` leaves x as it is. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const SETTINGS_KEY = 'settings';
const TOKEN_KEY = 'session.token';
const ME_KEY = 'session.me';
/** Whose feed `feed.lastId` and the calls cache belong to: "<relayUrl>|<employeeId>". */
const OWNER_KEY = 'session.owner';
export const LAST_FEED_ID_KEY = 'feed.lastId';
/** The `at` of the item `feed.lastId` (absent in stores from before it was kept, and at 0). */
export const LAST_FEED_AT_KEY = 'feed.lastAt';

export class SettingsStore {
  constructor(
    private readonly kv: KvRepo,
    private readonly secretBox: SecretBox,
  ) {}

  get(): Settings {
    return parseSettings(this.kv.getJson(SETTINGS_KEY));
  }

  /** `login` is the core's own (set by a successful login), not part of the public patch. */
  update(patch: SettingsPatch & { login?: string }): Settings {
    const cur = this.get();
    const next = SettingsSchema.parse({ ...cur, ...defined(patch), popup: { ...cur.popup, ...defined(patch.popup ?? {}) } });
    this.kv.setJson(SETTINGS_KEY, next);
    return next;
  }

  async saveToken(token: string): Promise<void> {
    if (!this.secretBox.isAvailable()) throw new SecretBoxUnavailableError();
    this.kv.set(TOKEN_KEY, await this.secretBox.encrypt(token));
  }

  /** The stored token, or null when none or it can no longer be decrypted (OS keyring changed). */
  async loadToken(): Promise<string | null> {
    const cipher = this.kv.get(TOKEN_KEY);
    if (!cipher) return null;
    try {
      return await this.secretBox.decrypt(cipher);
    } catch {
      this.kv.delete(TOKEN_KEY);
      return null;
    }
  }

  clearToken(): void {
    this.kv.delete(TOKEN_KEY);
  }

  loadMe(): Employee | null {
    const parsed = EmployeeSchema.safeParse(this.kv.getJson(ME_KEY));
    return parsed.success ? parsed.data : null;
  }

  saveMe(me: Employee | null): void {
    if (me) this.kv.setJson(ME_KEY, me);
    else this.kv.delete(ME_KEY);
  }

  owner(): string | null {
    return this.kv.get(OWNER_KEY);
  }

  setOwner(owner: string): void {
    this.kv.set(OWNER_KEY, owner);
  }

  lastFeedId(): number {
    const v = Number(this.kv.get(LAST_FEED_ID_KEY) ?? 0);
    return Number.isSafeInteger(v) && v > 0 ? v : 0;
  }

  lastFeedAt(): string | null {
    return this.kv.get(LAST_FEED_AT_KEY);
  }

  /**
   * The applied position: the id and, when known, the `at` of that item, which lets the relay
   * tell its item with this id from one issued again after a restore. Without `at` none is kept,
   * so a stale one never describes another id.
   */
  setLastFeedId(id: number, at?: string): void {
    this.kv.set(LAST_FEED_ID_KEY, String(id));
    if (at && id > 0) this.kv.set(LAST_FEED_AT_KEY, at);
    else this.kv.delete(LAST_FEED_AT_KEY);
  }
}
