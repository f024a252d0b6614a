/** Shared setup for mail tests: a temp SQLite database, a test SecretBox, the service, waits. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { createMailService, type MailService, type MailServiceOptions, type SecretBox } from '../../src-main/core/mail';
import type { MailAccountInput, MailAccountView } from '../../src-shared/ipc/mail';
import type { Dovecot } from '../support/dovecot';
import type { TestSmtp } from '../support/smtp';

/** AES-256-GCM with a random key: what the key-file SecretBox does in browser mode. */
export function testSecretBox(): SecretBox & { seen: string[] } {
  const key = randomBytes(32);
  const seen: string[] = [];
  return {
    seen,
    async encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      const out = Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
      seen.push(out);
      return out;
    },
    async decrypt(cipher) {
      const b = Buffer.from(cipher, 'base64');
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

export interface Harness {
  dir: string;
  db: Database.Database;
  box: ReturnType<typeof testSecretBox>;
  mail: MailService;
  events: { name: string; payload: unknown }[];
  close(): Promise<void>;
}

export function makeService(extra: Partial<MailServiceOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'asgard-mail-test-'));
  const db = new Database(join(dir, 'app.db'));
  db.pragma('journal_mode = WAL');
  const box = testSecretBox();
  const mail = createMailService({
    db,
    secretBox: box,
    dataDir: dir,
    timeouts: { connectMs: 5_000, greetingMs: 3_000, socketMs: 60_000 },
    sync: { initialBackoffMs: 200, maxBackoffMs: 1_000, pollMs: 60_000 },
    outbox: { initialBackoffMs: 300, maxBackoffMs: 2_000 },
    ...extra,
  });
  const events: Harness['events'] = [];
  mail.onAny((name, payload) => events.push({ name, payload }));
  return {
    dir,
    db,
    box,
    mail,
    events,
    async close() {
      await mail.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function addAccount(
  h: Harness,
  dc: Dovecot,
  smtp: TestSmtp | null,
  user: { user: string; pass: string },
  over: Partial<{ imapPort: number; smtpPort: number }> = {},
): Promise<MailAccountView> {
  return (await h.mail.handle('mail:accounts:save', accountInput(dc, user, { imapPort: over.imapPort, smtpPort: over.smtpPort ?? smtp?.port ?? 1 }))) as MailAccountView;
}

/** A password account on the test Dovecot (and an SMTP port), without encryption. */
export function accountInput(dc: Dovecot, user: { user: string; pass: string }, ports: { imapPort?: number; smtpPort: number }): MailAccountInput {
  return {
    name: 'Тест',
    email: user.user,
    login: user.user,
    preset: 'custom',
    imap: { host: '127.0.0.1', port: ports.imapPort ?? dc.port, security: 'none' },
    smtp: { host: '127.0.0.1', port: ports.smtpPort, security: 'none' },
    auth: 'password',
    password: user.pass,
  };
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function stateOf(h: Harness, accountId: number): string {
  const st = [...h.events].reverse().find((e) => e.name === 'mail:state' && (e.payload as { accountId: number }).accountId === accountId);
  return st ? (st.payload as { state: { state: string } }).state.state : 'none';
}

export async function waitSynced(h: Harness, accountId: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(() => stateOf(h, accountId) === 'synced', `account ${accountId} synced (now ${stateOf(h, accountId)})`, timeoutMs);
}

export async function imapClient(dc: Dovecot, user: { user: string; pass: string }): Promise<ImapFlow> {
  const c = new ImapFlow({ host: '127.0.0.1', port: dc.port, secure: false, doSTARTTLS: false, auth: { user: user.user, pass: user.pass }, logger: false });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

export async function folderId(h: Harness, accountId: number, path: string): Promise<number> {
  const folders = (await h.mail.handle('mail:folders:list', { accountId })) as { id: number; path: string }[];
  const f = folders.find((x) => x.path === path);
  if (!f) throw new Error(`no folder ${path}: ${folders.map((x) => x.path).join(', ')}`);
  return f.id;
}

/**
 * A TCP proxy in front of Dovecot that can cut every connection (all at once, or after a
 * connection has carried a given number of bytes from the server).
 */
export interface CutProxy {
  port: number;
  /** Cut each new connection after this many server→client bytes (null: never). */
  cutAfterBytes: number | null;
  cuts: number;
  dropAll(): void;
  close(): Promise<void>;
}

export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  const proxy: CutProxy = {
    port: 0,
    cutAfterBytes: null,
    cuts: 0,
    dropAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async close() {
      proxy.dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const limit = proxy.cutAfterBytes;
    let bytes = 0;
    upstream.on('data', (d: Buffer) => {
      bytes += d.length;
      if (limit !== null && bytes > limit) {
        proxy.cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    client.on('data', (d: Buffer) => upstream.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  proxy.port = typeof a === 'object' && a ? a.port : 0;
  return proxy;
}
