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
    const v = row?.value;
    const s: MangoSettings = {
      apiKey: v?.apiKey ?? '',
      apiSalt: v?.apiSaltEnc ? this.box.decrypt(v.apiSaltEnc) : null,
      vpbxId: v?.vpbxId ?? '',
      apiUrl: v?.apiUrl || this.defaults.apiUrl,
      enabled: v?.enabled ?? false,
      routingMode: v?.routingMode ?? 'popup',
      groupId: v?.groupId ?? null,
      lastTest: v?.lastTest ?? null,
      lastGroupSync: v?.lastGroupSync ?? null,
    };
    this.cache = s;
    return s;
  }

  async update(patch: Partial<MangoSettings>): Promise<MangoSettings> {
    const cur = await this.get();
    // Keys present but undefined mean "not sent": they must not wipe stored values.
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<MangoSettings>;
    const next: MangoSettings = { ...cur, ...defined };
    // An empty salt field in the form means "keep the stored one".
    if (patch.apiSalt === '' || patch.apiSalt === undefined) next.apiSalt = cur.apiSalt;
    const stored: Stored = {
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
    await this.db.tx(async (q) => {
      await q.query("INSERT INTO settings (key, value) VALUES ('mango', $1::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [JSON.stringify(stored)]);
      await q.query('SELECT pg_notify($1, $2)', [SETTINGS_CHANNEL, 'mango']);
    });
    this.cache = next;
    return next;
  }

  async view(webhookUrl: string): Promise<MangoSettingsView> {
    const s = await this.get();
    const last = (await this.db.query<{ at: Date | string | null }>("SELECT max(received_at) AS at FROM mango_events WHERE kind <> 'stats/row' AND kind <> 'internal/finalize'")).rows[0]?.at;
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
