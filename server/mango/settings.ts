import type { Db } from '../db/db';
import type { MangoSettingsView, RoutingMode } from '../../src-shared/wire';
import { maskSecret, type SecretBox } from '../secrets';

export interface MangoSettings {
  apiKey: string;
  apiSalt: string | null;
  vpbxId: string;
  apiUrl: string;
  enabled: boolean;
  routingMode: RoutingMode;
  groupId: string | null;
  lastTest: { ok: boolean; at: string; message: string } | null;
  lastGroupSync: { ok: boolean; at: string; message: string } | null;
  /**
   * A salt is stored but this instance's secret key cannot decrypt it (RELAY_SECRET_KEY differs
   * from the one it was saved with): webhooks cannot be verified until the key is fixed or the
   * salt is entered again.
   */
  saltUnreadable?: boolean;
}

interface Stored extends Omit<MangoSettings, 'apiSalt'> {
  apiSaltEnc: string | null;
}

export const SETTINGS_CHANNEL = 'asgard_settings';

/** Mango settings: one row in `settings`, salt encrypted; cached and refreshed on NOTIFY. */
export class MangoSettingsStore {
  private cache: MangoSettings | null = null;

  constructor(
    private db: Db,
    private box: SecretBox,
    private defaults: { apiUrl: string },
  ) {}

  async start(): Promise<void> {
    await this.db.listen(SETTINGS_CHANNEL, () => {
      this.cache = null;
    });
  }

  async get(): Promise<MangoSettings> {
    if (this.cache) return this.cache;
    const row = (await this.db.query<{ value: Stored }>("SELECT value FROM settings WHERE key = 'mango'")).rows[0];
    this.cache = this.fromStored(row?.value);
    return this.cache;
  }

  private fromStored(v: Stored | undefined): MangoSettings {
    let apiSalt: string | null = null;
    let saltUnreadable = false;
    if (v?.apiSaltEnc) {
      try {
        apiSalt = this.box.decrypt(v.apiSaltEnc);
      } catch {
        saltUnreadable = true;
      }
    }
    return {
      saltUnreadable,
      apiKey: v?.apiKey ?? '',
      apiSalt,
      vpbxId: v?.vpbxId ?? '',
      apiUrl: v?.apiUrl || this.defaults.apiUrl,
      enabled: v?.enabled ?? false,
      routingMode: v?.routingMode ?? 'popup',
      groupId: v?.groupId ?? null,
      lastTest: v?.lastTest ?? null,
      lastGroupSync: v?.lastGroupSync ?? null,
    };
  }

  /** Read-modify-write under a row lock, so concurrent writers (a save, a sync result) keep each other's fields. */
  async update(patch: Partial<MangoSettings>): Promise<MangoSettings> {
    const next = await this.db.tx(async (q) => {
      await q.query("INSERT INTO settings (key, value) VALUES ('mango', '{}'::jsonb) ON CONFLICT (key) DO NOTHING");
      const row = (await q.query<{ value: Stored }>("SELECT value FROM settings WHERE key = 'mango' FOR UPDATE")).rows[0];
      const cur = this.fromStored(Object.keys(row?.value ?? {}).length ? row.value : undefined);
      const merged = this.merge(cur, patch);
      const stored = this.toStored(merged);
      // A salt this instance cannot read stays as it is unless a new one is entered: another
      // instance (with the right key) may still be using it.
      if (cur.saltUnreadable && !merged.apiSalt) stored.apiSaltEnc = row.value.apiSaltEnc;
      else merged.saltUnreadable = false;
      await q.query("UPDATE settings SET value = $1::jsonb WHERE key = 'mango'", [JSON.stringify(stored)]);
      await q.query('SELECT pg_notify($1, $2)', [SETTINGS_CHANNEL, 'mango']);
      return merged;
    });
    this.cache = next;
    return next;
  }

  private merge(cur: MangoSettings, patch: Partial<MangoSettings>): MangoSettings {
    // Keys present but undefined mean "not sent": they must not wipe stored values.
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<MangoSettings>;
    const next: MangoSettings = { ...cur, ...defined };
    // An empty salt field in the form means "keep the stored one".
    if (patch.apiSalt === '' || patch.apiSalt === undefined) next.apiSalt = cur.apiSalt;
    return next;
  }

  private toStored(next: MangoSettings): Stored {
    // saltUnreadable is derived on read, never stored.
    return {
      apiKey: next.apiKey,
      apiSaltEnc: next.apiSalt ? this.box.encrypt(next.apiSalt) : null,
      vpbxId: next.vpbxId,
      apiUrl: next.apiUrl,
      enabled: next.enabled,
      routingMode: next.routingMode,
      groupId: next.groupId,
      lastTest: next.lastTest,
      lastGroupSync: next.lastGroupSync,
    };
  }

  async view(webhookUrl: string): Promise<MangoSettingsView> {
    const s = await this.get();
    // Newest by id (the primary key's index, read backwards) rather than max(received_at),
    // which reads every event ever stored.
    const last = (
      await this.db.query<{ at: Date | string }>(
        "SELECT received_at AS at FROM mango_events WHERE kind <> 'stats/row' AND kind <> 'internal/finalize' ORDER BY id DESC LIMIT 1",
      )
    ).rows[0]?.at;
    return {
      apiKey: s.apiKey,
      apiSaltMasked: maskSecret(s.apiSalt),
      saltConfigured: !!s.apiSalt,
      vpbxId: s.vpbxId,
      apiUrl: s.apiUrl,
      enabled: s.enabled,
      routingMode: s.routingMode,
      groupId: s.groupId,
      webhookUrl,
      lastTest: s.lastTest,
      lastWebhookAt: last ? new Date(last).toISOString() : null,
      lastGroupSync: s.lastGroupSync,
    };
  }
}
