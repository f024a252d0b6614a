/**
 * Settings (plain, in the kv table) and the session (the relay token only as SecretBox
 * ciphertext). Nothing here ever returns the token to a caller other than the relay client.
 */
import { z } from 'zod';
import type { KvRepo } from './store/kv-repo';
import type { SecretBox } from './secrets/secret-box';
import { SecretBoxUnavailableError } from './secrets/secret-box';
import { EmployeeSchema, type Employee } from '../../src-shared/wire';

export const PopupOptionsSchema = z.object({
  /** Pop when it rings, when I answer, or never (notifications only via history). */
  when: z.enum(['ring', 'answer', 'never']).default('ring'),
  /** Caller IDs with fewer digits are internal calls and do not pop (0 = pop for all). */
  minDigits: z.number().int().min(0).max(15).default(5),
  /** Which screen: the one with the mouse cursor, or the primary one. */
  display: z.enum(['cursor', 'primary']).default('cursor'),
  /** Also show a native notification with each popup. */
  notification: z.boolean().default(true),
});
export type PopupOptions = z.infer<typeof PopupOptionsSchema>;

export const SettingsSchema = z.object({
  relayUrl: z.string().default(''),
  login: z.string().default(''),
  popup: PopupOptionsSchema.default(PopupOptionsSchema.parse({})),
  startAtLogin: z.boolean().default(false),
});
export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsPatch = Partial<Omit<Settings, 'popup'>> & { popup?: Partial<PopupOptions> };

const SETTINGS_KEY = 'settings';
const TOKEN_KEY = 'session.token';
const ME_KEY = 'session.me';
/** Whose feed `feed.lastId` and the calls cache belong to: "<relayUrl>|<employeeId>". */
const OWNER_KEY = 'session.owner';
export const LAST_FEED_ID_KEY = 'feed.lastId';

export class SettingsStore {
  constructor(
    private readonly kv: KvRepo,
    private readonly secretBox: SecretBox,
  ) {}

  get(): Settings {
    const parsed = SettingsSchema.safeParse(this.kv.getJson(SETTINGS_KEY) ?? {});
    return parsed.success ? parsed.data : SettingsSchema.parse({});
  }

  update(patch: SettingsPatch): Settings {
    const cur = this.get();
    const next = SettingsSchema.parse({ ...cur, ...patch, popup: { ...cur.popup, ...(patch.popup ?? {}) } });
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

  setLastFeedId(id: number): void {
    this.kv.set(LAST_FEED_ID_KEY, String(id));
  }
}
