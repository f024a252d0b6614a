/** Shared setup for mail tests: a temp SQLite database, a test SecretBox, the service, waits. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { createMailService, type MailService, type MailServiceOptions, type SecretBox } from '../../src-main/core/mail';
import type { MailAccountInput, MailAccountView, MailFolderView, MailSummary } from '../../src-shared/ipc/mail';
import { rawMessage, type Dovecot } from '../support/dovecot';
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

/** Subjects and flags (\\Recent aside) of a server folder, read by another client, by subject. */
export async function onServer(dc: Dovecot, u: { user: string; pass: string }, path: string): Promise<{ subject: string; flags: string[] }[]> {
  const c = await imapClient(dc, u);
  try {
    await c.mailboxOpen(path);
    const all = await c.fetchAll('1:*', { flags: true, envelope: true }).catch(() => []);
    return all.map((m) => ({ subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort() })).sort((a, b) => a.subject.localeCompare(b.subject));
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** Local changes (flags, moves, deletions) queued and not yet pushed to the server. */
export function opsLeft(h: Harness): number {
  return (h.db.prepare('SELECT COUNT(*) AS n FROM mail_ops').get() as { n: number }).n;
}

export async function folderId(h: Harness, accountId: number, path: string): Promise<number> {
  const folders = (await h.mail.handle('mail:folders:list', { accountId })) as { id: number; path: string }[];
  const f = folders.find((x) => x.path === path);
  if (!f) throw new Error(`no folder ${path}: ${folders.map((x) => x.path).join(', ')}`);
  return f.id;
}

/**
 * A loopback TCP proxy in front of Dovecot's IMAP port, for tests that watch or disturb the
 * app's IMAP traffic. It records the client's command lines and can refuse new connections,
 * drop them all, cut a connection (after so many bytes from the server, or before or right
 * after a matching command), hold the server's answers until `release()`, and rewrite whole
 * lines either way (`ImapTapOptions`). Settings are read as connections and lines go by, so a
 * test can change them at any time.
 */
export interface ImapTap {
  port: number;
  /** The client's command lines (as UTF-8), every connection's, in order. */
  lines: string[];
  /** Close new connections at once. */
  refuse: boolean;
  /** Cut each new connection after this many server→client bytes (null: never). */
  cutAfterBytes: number | null;
  /** Forward the matching command to the server, then cut the client off before it hears the answer. */
  cutAfter: RegExp | null;
  /** Each matching command, once: the connection is cut before the server gets it. */
  dropBefore: RegExp[];
  /** Hold the server's answers once a matching command went by, until `release()`. */
  holdOn: RegExp | null;
  held: boolean;
  /** Connections cut by `cutAfterBytes`, `cutAfter` or `dropBefore`. */
  cuts: number;
  release(): void;
  dropAll(): void;
  close(): Promise<void>;
}

/**
 * Line rewriters. Lines come without their CRLF, one character a byte (latin1); with a rewriter
 * that side goes on in whole lines, so a rewrite never meets half a line (a returned line may
 * hold more lines joined by CRLF). Without one, that side's bytes go on as they come.
 */
export interface ImapTapOptions {
  /** Each command line from the client, after it is recorded. */
  clientLine?: (line: string) => string;
  /** Each line from the server. */
  serverLine?: (line: string) => string;
}

/** Splits a byte stream into whole CRLF lines (latin1, so no byte is lost), keeping a partial line for later. */
function lineReader(): (d: Buffer) => string[] {
  let buf = '';
  return (d) => {
    buf += d.toString('latin1');
    const lines = buf.split('\r\n');
    buf = lines.pop()!;
    return lines;
  };
}

export async function startImapTap(targetPort: number, opts: ImapTapOptions = {}): Promise<ImapTap> {
  const { clientLine, serverLine } = opts;
  const sockets = new Set<Socket>();
  const releasers = new Set<() => void>();
  const server: Server = createServer((client) => {
    if (tap.refuse) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const limit = tap.cutAfterBytes;
    let bytes = 0;
    let cut = false;
    /** Cuts this connection; the server's side goes `upstreamAfterMs` later (0: at once). */
    const cutOff = (upstreamAfterMs = 0) => {
      cut = true;
      tap.cuts++;
      client.destroy();
      if (upstreamAfterMs) setTimeout(() => upstream.destroy(), upstreamAfterMs);
      else upstream.destroy();
    };
    const pending: Buffer[] = [];
    const flush = () => {
      for (const d of pending.splice(0)) if (!cut) client.write(d);
    };
    releasers.add(flush);

    const serverLines = lineReader();
    upstream.on('data', (d: Buffer) => {
      bytes += d.length;
      if (limit !== null && bytes > limit) {
        if (!cut) cutOff();
        return;
      }
      let out = d;
      if (serverLine) {
        const text = serverLines(d)
          .map((line) => serverLine(line) + '\r\n')
          .join('');
        if (!text) return;
        out = Buffer.from(text, 'latin1');
      }
      if (tap.held) pending.push(out);
      else if (!cut) client.write(out);
    });

    const clientLines = lineReader();
    client.on('data', (d: Buffer) => {
      if (cut) return;
      let hit = false;
      let text = '';
      for (const line of clientLines(d)) {
        tap.lines.push(Buffer.from(line, 'latin1').toString('utf8'));
        if (tap.dropBefore[0]?.test(line)) {
          tap.dropBefore.shift();
          cutOff();
          return;
        }
        if (tap.cutAfter?.test(line)) hit = true;
        if (tap.holdOn?.test(line)) {
          tap.holdOn = null;
          tap.held = true;
        }
        if (clientLine) text += clientLine(line) + '\r\n';
      }
      if (!clientLine) upstream.write(d);
      else if (text) upstream.write(Buffer.from(text, 'latin1'));
      if (hit) {
        tap.cutAfter = null;
        // Let the server act on the command before its side goes too.
        cutOff(500);
      }
    });

    const end = () => {
      client.destroy();
      if (!cut) upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      releasers.delete(flush);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  const tap: ImapTap = {
    port: 0,
    lines: [],
    refuse: false,
    cutAfterBytes: null,
    cutAfter: null,
    dropBefore: [],
    holdOn: null,
    held: false,
    cuts: 0,
    release() {
      tap.held = false;
      for (const r of releasers) r();
    },
    dropAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async close() {
      tap.dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  tap.port = typeof a === 'object' && a ? a.port : 0;
  return tap;
}

/** How many UIDs the recorded command lines asked for with ENVELOPE (messages downloaded). */
export function envelopeUids(lines: string[]): number {
  let n = 0;
  for (const l of lines) {
    const m = /UID FETCH ([\d:,]+) \(.*ENVELOPE/i.exec(l);
    if (!m) continue;
    for (const part of m[1].split(',')) {
      const [a, b] = part.split(':').map(Number);
      n += b === undefined ? 1 : Math.abs(b - a) + 1;
    }
  }
  return n;
}

/** The tap as sync.test.ts knows it: a proxy that cuts connections after `cutAfterBytes`. */
export type CutProxy = ImapTap;
export const startCutProxy = (targetPort: number): Promise<CutProxy> => startImapTap(targetPort);

/** The Message-ID `testMessages` gives message `n` (ASCII, so a header SEARCH finds it). */
export function testMessageId(user: string, prefix: string, n: number): string {
  return `<${Buffer.from(prefix).toString('hex')}.${n}.${user}>`;
}

/** `n` messages «prefix i» (i from `from`), a minute apart from 2024-01-01. */
export function testMessages(user: string, prefix: string, n: number, from = 0): string[] {
  const base = Date.UTC(2024, 0, 1);
  return Array.from({ length: n }, (_, i) =>
    rawMessage({
      subject: `${prefix} ${from + i}`,
      text: `Текст ${prefix} номер ${from + i}`,
      date: new Date(base + (from + i) * 60_000),
      messageId: testMessageId(user, prefix, from + i),
    }),
  );
}

/** A folder's first 500 messages, newest first, and its total. */
export async function listFolder(h: Harness, folder: number): Promise<{ total: number; items: MailSummary[] }> {
  return (await h.mail.handle('mail:messages:list', { folderId: folder, offset: 0, limit: 500 })) as { total: number; items: MailSummary[] };
}

export async function folderViews(h: Harness, accountId: number): Promise<MailFolderView[]> {
  return (await h.mail.handle('mail:folders:list', { accountId })) as MailFolderView[];
}

export async function searchMail(h: Harness, query: string): Promise<MailSummary[]> {
  return ((await h.mail.handle('mail:messages:search', { query })) as { items: MailSummary[] }).items;
}
