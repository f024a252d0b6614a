/**
 * Mail accounts: settings in `mail_accounts`, passwords, OAuth client secrets and refresh
 * tokens only as SecretBox ciphertext. Views for the renderer never carry a secret.
 */
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import type {
  MailAccountInputSchema,
  MailAccountState,
  MailAccountView,
  MailAuthKind,
  MailCheckResult,
  MailOAuthProvider,
  MailPresetId,
  MailServerSettings,
} from '../../../src-shared/ipc/mail';
import { MailError } from './errors-ru';

/** The app's secret store (Electron safeStorage in the app, a key file in browser mode and tests). */
export interface SecretBox {
  encrypt(plain: string): Promise<string>;
  decrypt(cipher: string): Promise<string>;
}

export interface OAuthConfig {
  provider: MailOAuthProvider;
  clientId: string;
  authUrl?: string;
  tokenUrl?: string;
  scope?: string;
  redirectPort?: number;
}

export interface AccountRecord {
  id: number;
  name: string;
  email: string;
  login: string;
  preset: MailPresetId;
  imap: MailServerSettings;
  smtp: MailServerSettings;
  auth: MailAuthKind;
  passwordEnc: string | null;
  oauth: OAuthConfig | null;
  oauthSecretEnc: string | null;
  oauthRefreshEnc: string | null;
  lastCheck: MailCheckResult | null;
  signature: string;
}

interface Row {
  id: number;
  name: string;
  email: string;
  login: string;
  preset: string;
  imap_host: string;
  imap_port: number;
  imap_security: string;
  smtp_host: string;
  smtp_port: number;
  smtp_security: string;
  auth: string;
  password_enc: string | null;
  oauth_json: string | null;
  oauth_secret_enc: string | null;
  oauth_refresh_enc: string | null;
  last_check_json: string | null;
  signature: string;
}

export type AccountInput = z.output<typeof MailAccountInputSchema>;

function fromRow(r: Row): AccountRecord {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    login: r.login,
    preset: r.preset as MailPresetId,
    imap: { host: r.imap_host, port: r.imap_port, security: r.imap_security as MailServerSettings['security'] },
    smtp: { host: r.smtp_host, port: r.smtp_port, security: r.smtp_security as MailServerSettings['security'] },
    auth: r.auth as MailAuthKind,
    passwordEnc: r.password_enc,
    oauth: r.oauth_json ? (JSON.parse(r.oauth_json) as OAuthConfig) : null,
    oauthSecretEnc: r.oauth_secret_enc,
    oauthRefreshEnc: r.oauth_refresh_enc,
    lastCheck: r.last_check_json ? (JSON.parse(r.last_check_json) as MailCheckResult) : null,
    signature: r.signature,
  };
}

export class Accounts {
  constructor(
    private readonly db: Database.Database,
    private readonly box: SecretBox,
  ) {}

  list(): AccountRecord[] {
    return (this.db.prepare('SELECT * FROM mail_accounts ORDER BY id').all() as Row[]).map(fromRow);
  }

  find(id: number): AccountRecord | undefined {
    const r = this.db.prepare('SELECT * FROM mail_accounts WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  get(id: number): AccountRecord {
    const a = this.find(id);
    if (!a) throw new MailError('mail-no-account', 'Почтовый ящик не найден: возможно, его удалили.');
    return a;
  }

  /**
   * An unsaved record from the settings form (for «Проверить подключение» before saving);
   * secrets not typed again come from the saved account with the same id.
   */
  async draft(input: AccountInput): Promise<AccountRecord> {
    const saved = input.id ? this.find(input.id) : undefined;
    return {
      id: input.id ?? 0,
      name: input.name,
      email: input.email.toLowerCase(),
      login: input.login || input.email,
      preset: input.preset,
      imap: input.imap,
      smtp: input.smtp,
      auth: input.auth,
      passwordEnc: input.password !== undefined ? await this.box.encrypt(input.password) : (saved?.passwordEnc ?? null),
      oauth: input.oauth ? stripSecret(input.oauth) : null,
      oauthSecretEnc:
        input.oauth?.clientSecret !== undefined
          ? input.oauth.clientSecret
            ? await this.box.encrypt(input.oauth.clientSecret)
            : null
          : (saved?.oauthSecretEnc ?? null),
      oauthRefreshEnc: saved && sameOAuthClient(saved.oauth, input.oauth ?? null) ? saved.oauthRefreshEnc : null,
      lastCheck: saved?.lastCheck ?? null,
      signature: input.signature ?? saved?.signature ?? '',
    };
  }

  async save(input: AccountInput): Promise<AccountRecord> {
    const d = await this.draft(input);
    if (d.auth === 'password' && !d.passwordEnc) {
      throw new MailError('mail-no-password', 'Введите пароль приложения для этого ящика.');
    }
    if (d.auth === 'oauth2' && !d.oauth) {
      throw new MailError('mail-no-oauth', 'Для входа через OAuth укажите идентификатор приложения (client id).');
    }
    const now = new Date().toISOString();
    const vals = [
      d.name, d.email, d.login, d.preset, d.imap.host, d.imap.port, d.imap.security, d.smtp.host, d.smtp.port,
      d.smtp.security, d.auth, d.passwordEnc, d.oauth ? JSON.stringify(d.oauth) : null, d.oauthSecretEnc,
      d.oauthRefreshEnc, d.signature,
    ];
    if (input.id) {
      this.get(input.id);
      this.db
        .prepare(
          `UPDATE mail_accounts SET name = ?, email = ?, login = ?, preset = ?, imap_host = ?, imap_port = ?,
             imap_security = ?, smtp_host = ?, smtp_port = ?, smtp_security = ?, auth = ?, password_enc = ?,
             oauth_json = ?, oauth_secret_enc = ?, oauth_refresh_enc = ?, signature = ?, updated_at = ? WHERE id = ?`,
        )
        .run(...vals, now, input.id);
      return this.get(input.id);
    }
    const r = this.db
      .prepare(
        `INSERT INTO mail_accounts (name, email, login, preset, imap_host, imap_port, imap_security, smtp_host,
           smtp_port, smtp_security, auth, password_enc, oauth_json, oauth_secret_enc, oauth_refresh_enc,
           signature, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...vals, now, now);
    return this.get(Number(r.lastInsertRowid));
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM mail_accounts WHERE id = ?').run(id);
  }

  async password(a: AccountRecord): Promise<string | null> {
    return a.passwordEnc ? this.box.decrypt(a.passwordEnc) : null;
  }

  async oauthClientSecret(a: AccountRecord): Promise<string | null> {
    return a.oauthSecretEnc ? this.box.decrypt(a.oauthSecretEnc) : null;
  }

  async refreshToken(a: AccountRecord): Promise<string | null> {
    return a.oauthRefreshEnc ? this.box.decrypt(a.oauthRefreshEnc) : null;
  }

  async setRefreshToken(id: number, token: string | null): Promise<void> {
    const enc = token ? await this.box.encrypt(token) : null;
    this.db.prepare('UPDATE mail_accounts SET oauth_refresh_enc = ?, updated_at = ? WHERE id = ?').run(enc, new Date().toISOString(), id);
  }

  setLastCheck(id: number, result: MailCheckResult): void {
    this.db.prepare('UPDATE mail_accounts SET last_check_json = ? WHERE id = ?').run(JSON.stringify(result), id);
  }

  view(a: AccountRecord, state: MailAccountState): MailAccountView {
    return {
      id: a.id,
      name: a.name,
      email: a.email,
      login: a.login,
      preset: a.preset,
      imap: a.imap,
      smtp: a.smtp,
      auth: a.auth,
      passwordConfigured: Boolean(a.passwordEnc),
      oauth: a.oauth ? { provider: a.oauth.provider, clientId: a.oauth.clientId, connected: Boolean(a.oauthRefreshEnc) } : null,
      state,
      lastCheck: a.lastCheck,
      signature: a.signature,
    };
  }
}

function stripSecret(o: NonNullable<AccountInput['oauth']>): OAuthConfig {
  const { clientSecret: _secret, ...rest } = o;
  return rest;
}

function sameOAuthClient(a: OAuthConfig | null, b: AccountInput['oauth'] | null): boolean {
  if (!a || !b) return false;
  return a.provider === b.provider && a.clientId === b.clientId && (a.tokenUrl ?? '') === (b.tokenUrl ?? '');
}
