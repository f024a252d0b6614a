/**
 * Sending against a real SMTP server (npm smtp-server) that misbehaves the way real ones do:
 * one recipient of several refused, everything refused, size limits, greylisting (451) at every
 * stage, permanent 5xx answers, bad logins, STARTTLS required, the connection cut mid-DATA, and
 * the app closed while a message is in flight. The rule: a mail that cannot be sent stays in the
 * outbox with a Russian error; a temporary failure is retried and the mail arrives exactly once;
 * a permanent one is not retried by itself; nobody gets a message twice.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailService, type MailService } from '../../src-main/core/mail';
import type { MailAccountView, MailOutboxItem } from '../../src-shared/ipc/mail';
import { freePort, makeSelfSignedCert, startDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { accountInput, addAccount, imapClient, makeService, waitFor, type Harness } from './helpers';

const alice = { user: 'alice@example.test', pass: 'alice-pass' };
const bob = { user: 'bob@example.test', pass: 'bob-pass' };
const carol = { user: 'carol@example.test', pass: 'carol-pass' };
let dc: Dovecot;
let certDir: string;
let cert: { key: string; cert: string };

type Reply = { code: number; text: string } | null;

/** What the server does, changeable while it runs; `n` counts the calls of that stage from 1. */
interface Knobs {
  mail?: (from: string, n: number) => Reply;
  rcpt?: (to: string, n: number) => Reply;
  data?: (raw: Buffer, n: number) => Reply;
  /** Cut the connection after this many bytes of DATA, this many times. */
  dropAfterBytes?: number;
  drops?: number;
  /** Take RCPT TO and never answer it. */
  hangRcpt?: boolean;
  /** Take the whole message and never answer the final dot. */
  hangAfterData?: boolean;
}

interface EdgeSmtp {
  port: number;
  knobs: Knobs;
  /** Messages received completely (the final dot seen) and accepted. */
  received: { to: string[]; raw: Buffer }[];
  /** Messages received completely, accepted or not. */
  complete: number;
  rcptSeen: number;
  auths: { user: string; ok: boolean }[];
  close(): Promise<void>;
}

type Conn = { session: SMTPServerSession; _socket: { destroy(): void } };

async function edgeSmtp(knobs: Knobs = {}, extra: Partial<SMTPServerOptions> = {}): Promise<EdgeSmtp> {
  const users = [alice, bob, carol];
  const counts = { mail: 0, rcpt: 0, data: 0 };
  const dropped = new Set<string>();
  const err = (r: { code: number; text: string }) => Object.assign(new Error(r.text), { responseCode: r.code });
  const srv: EdgeSmtp = {
    port: await freePort(),
    knobs,
    received: [],
    complete: 0,
    rcptSeen: 0,
    auths: [],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: SMTPServer = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    closeTimeout: 50,
    onAuth(auth, _s, cb) {
      const ok = users.some((u) => u.user === auth.username && u.pass === auth.password);
      srv.auths.push({ user: auth.username ?? '', ok });
      if (ok) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onMailFrom(addr, _s, cb) {
      const r = knobs.mail?.(addr.address, ++counts.mail);
      cb(r ? err(r) : undefined);
    },
    onRcptTo(addr, _s, cb) {
      srv.rcptSeen++;
      if (knobs.hangRcpt) return;
      const r = knobs.rcpt?.(addr.address, ++counts.rcpt);
      cb(r ? err(r) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        bytes += c.length;
        if (knobs.dropAfterBytes && (knobs.drops ?? 0) > 0 && bytes > knobs.dropAfterBytes && !dropped.has(session.id)) {
          knobs.drops = (knobs.drops ?? 1) - 1;
          dropped.add(session.id);
          for (const c2 of (server as unknown as { connections: Set<Conn> }).connections) if (c2.session.id === session.id) c2._socket.destroy();
        }
      });
      stream.on('end', () => {
        if (dropped.has(session.id)) return; // the socket is gone: this message never arrived whole
        srv.complete++;
        const raw = Buffer.concat(chunks);
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return cb(err({ code: 552, text: '5.3.4 Error: message exceeds fixed maximum message size' }));
        const r = knobs.data?.(raw, ++counts.data);
        if (r) return cb(err(r));
        srv.received.push({ to: session.envelope.rcptTo.map((x) => x.address), raw });
        if (!knobs.hangAfterData) cb();
      });
    },
    ...extra,
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(srv.port, '127.0.0.1', () => r()));
  return srv;
}

beforeAll(async () => {
  dc = await startDovecot({ users: [alice, bob, carol] });
  certDir = mkdtempSync(join(tmpdir(), 'asgard-smtp-cert-'));
  const c = makeSelfSignedCert(certDir);
  cert = { key: readFileSync(c.keyPath, 'utf8'), cert: c.certPem };
});
afterAll(async () => {
  await dc?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

type SendResult = { outboxId: number; status: string; error: string | null };

async function withServer(
  knobs: Knobs,
  extra: Partial<SMTPServerOptions>,
  fn: (s: EdgeSmtp, h: Harness, acc: MailAccountView) => Promise<void>,
): Promise<void> {
  const s = await edgeSmtp(knobs, extra);
  const h = makeService({ autoStart: false, outbox: { initialBackoffMs: 200, maxBackoffMs: 400 } });
  try {
    const acc = await addAccount(h, dc, { port: s.port } as TestSmtp, alice);
    h.mail.internals.outbox.start();
    await fn(s, h, acc);
  } finally {
    await h.close();
    await s.close();
  }
}

function send(h: Harness, acc: MailAccountView, over: Record<string, unknown> = {}): Promise<SendResult> {
  return h.mail.handle('mail:send', { accountId: acc.id, to: ['bob@example.test'], subject: 'Проверка отправки', text: 'Текст письма', ...over }) as Promise<SendResult>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Copies of a message (by Message-ID) in alice's Sent folder on the IMAP server. */
async function sentCopies(messageId: string): Promise<string[]> {
  const c = await imapClient(dc, alice);
  try {
    await c.mailboxOpen('Sent');
    const all = await c.fetchAll('1:*', { source: true }).catch(() => []);
    return all.map((m) => m.source!.toString()).filter((src) => src.includes(messageId));
  } finally {
    await c.logout();
  }
}

const messageIdOf = (raw: Buffer) => /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString())![1];

describe('sending: recipients refused', () => {
  it('one refused recipient of several: the others get it once, the mail stays in the outbox with the error, a retry goes to that one only', async () => {
    const knobs: Knobs = { rcpt: (to) => (to === 'nobody@example.test' ? { code: 550, text: '5.1.1 <nobody@example.test>: Recipient address rejected: User unknown' } : null) };
    await withServer(knobs, {}, async (s, h, acc) => {
      const res = await send(h, acc, { to: ['bob@example.test', 'nobody@example.test'], cc: ['carol@example.test'] });
      expect(res.status).toBe('failed');
      expect(res.error).toMatch(/nobody@example\.test/);
      expect(res.error).toMatch(/User unknown/);
      expect(res.error).toMatch(/Остальным получателям оно отправлено/);
      expect(s.received.map((m) => m.to)).toEqual([['bob@example.test', 'carol@example.test']]);
      const [item] = (await h.mail.handle('mail:outbox:list', {})) as MailOutboxItem[];
      expect(item).toMatchObject({ id: res.outboxId, status: 'failed', lastError: res.error, nextAttemptAt: null });
      // It went out to two people: the copy is in Sent, once.
      const mid = messageIdOf(s.received[0].raw);
      expect(await sentCopies(mid)).toHaveLength(1);

      // Nothing goes again by itself.
      await sleep(800);
      expect(s.received).toHaveLength(1);

      // The address is fixed on the server's side; "Отправить сейчас" sends to the refused one only.
      knobs.rcpt = undefined;
      h.mail.internals.outbox.retry(res.outboxId);
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent to the rest');
      expect(s.received.map((m) => m.to)).toEqual([['bob@example.test', 'carol@example.test'], ['nobody@example.test']]);
      expect(messageIdOf(s.received[1].raw)).toBe(mid);
      expect(h.mail.internals.outbox.item(res.outboxId)?.lastError).toBeNull();
      expect(await sentCopies(mid)).toHaveLength(1);
    });
  }, 60_000);

  it('a recipient greylisted (451) while the others are taken gets it later by itself; nobody gets it twice', async () => {
    let deferred = 0;
    const knobs: Knobs = { rcpt: (to) => (to === 'carol@example.test' && deferred++ < 2 ? { code: 451, text: '4.7.1 <carol@example.test>: Greylisted, try again later' } : null) };
    await withServer(knobs, {}, async (s, h, acc) => {
      const res = await send(h, acc, { to: ['bob@example.test', 'carol@example.test'] });
      expect(res.status).toBe('failed');
      expect(res.error).toMatch(/carol@example\.test/);
      expect(res.error).toMatch(/повторно автоматически/);
      expect(h.mail.internals.outbox.item(res.outboxId)?.nextAttemptAt).not.toBeNull();
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent to the greylisted one', 10_000);
      await sleep(800);
      expect(s.received.map((m) => m.to)).toEqual([['bob@example.test'], ['carol@example.test']]);
    });
  }, 60_000);

  it('every recipient refused: stays in the outbox, explained, not retried by itself', async () => {
    await withServer({ rcpt: () => ({ code: 550, text: '5.1.1 User unknown' }) }, {}, async (s, h, acc) => {
      const res = await send(h, acc, { to: ['nobody@example.test', 'nobody2@example.test'] });
      expect(res.status).toBe('failed');
      expect(res.error).toMatch(/^Сервер отказался принять письмо для получателя: 550 5\.1\.1 User unknown/);
      expect(res.error).toMatch(/Проверьте адреса получателей/);
      await sleep(800);
      expect(h.mail.internals.outbox.item(res.outboxId)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
      expect(s.complete).toBe(0);
    });
  }, 60_000);
});

describe('sending: temporary failures are retried and arrive once', () => {
  const stages: [string, (k: Knobs) => void][] = [
    ['MAIL FROM', (k) => (k.mail = (_f, n) => (n <= 2 ? { code: 451, text: '4.3.0 Try again later' } : null))],
    ['RCPT TO', (k) => (k.rcpt = (_t, n) => (n <= 2 ? { code: 450, text: '4.2.0 Greylisted, see https://example.test/grey' } : null))],
    ['the end of DATA', (k) => (k.data = (_r, n) => (n <= 2 ? { code: 451, text: '4.7.1 Please try again later' } : null))],
  ];
  for (const [stage, set] of stages) {
    it(`4xx at ${stage}`, async () => {
      const knobs: Knobs = {};
      set(knobs);
      await withServer(knobs, {}, async (s, h, acc) => {
        const res = await send(h, acc);
        expect(res.status).toBe('failed');
        expect(res.error).toMatch(/^Сервер временно не принимает письма: 45\d/);
        expect(res.error).toMatch(/Письмо будет отправлено повторно автоматически\.$/);
        expect(h.mail.internals.outbox.item(res.outboxId)?.nextAttemptAt).not.toBeNull();
        await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after the temporary failure', 10_000);
        await sleep(800);
        expect(s.received).toHaveLength(1);
        expect(h.mail.internals.outbox.item(res.outboxId)).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
        expect(await sentCopies(messageIdOf(s.received[0].raw))).toHaveLength(1);
      });
    }, 60_000);
  }

  it('the connection cut mid-DATA: not marked sent, retried, delivered once', async () => {
    await withServer({ dropAfterBytes: 4000, drops: 2 }, {}, async (s, h, acc) => {
      const res = await send(h, acc, { text: 'Длинное письмо. '.repeat(3000) });
      expect(res.status).toBe('failed');
      expect(res.error).toMatch(/Соединение с сервером 127\.0\.0\.1:\d+ прервалось/);
      expect(s.received).toHaveLength(0);
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after the cuts', 10_000);
      await sleep(800);
      expect(s.received).toHaveLength(1);
      expect(h.mail.internals.outbox.item(res.outboxId)?.attempts).toBe(3);
      expect((await simpleParser(s.received[0].raw)).text?.trim()).toBe('Длинное письмо. '.repeat(3000).trim());
    });
  }, 60_000);
});

describe('sending: permanent failures are explained and not retried', () => {
  const permanent = async (knobs: Knobs, extra: Partial<SMTPServerOptions>, over: Record<string, unknown>, expectError: RegExp, notError?: RegExp) => {
    await withServer(knobs, extra, async (s, h, acc) => {
      const res = await send(h, acc, over);
      expect(res.status).toBe('failed');
      expect(res.error).toMatch(expectError);
      if (notError) expect(res.error).not.toMatch(notError);
      await sleep(800);
      expect(h.mail.internals.outbox.item(res.outboxId)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
      expect(s.received).toHaveLength(0);
    });
  };

  it('552 too large: by the SIZE limit and after DATA', async () => {
    await permanent({}, { size: 2000 }, { text: 'x'.repeat(10_000) }, /^Письмо слишком большое: сервер 127\.0\.0\.1:\d+ не принимает письма такого размера/);
    await permanent({ data: () => ({ code: 552, text: '5.3.4 Message size exceeds fixed limit' }) }, {}, {}, /^Письмо слишком большое/);
  }, 60_000);

  it('554 after DATA (spam filter)', async () => {
    await permanent({ data: () => ({ code: 554, text: '5.7.1 Message rejected as spam' }) }, {}, {}, /^Сервер отказался принять письмо: 554 5\.7\.1 Message rejected as spam/);
  }, 60_000);

  it('553 at MAIL FROM: the sender address, not a recipient', async () => {
    await permanent(
      { mail: () => ({ code: 553, text: '5.7.1 Sender address rejected: not owned by user' }) },
      {},
      {},
      /^Сервер отказался принять письмо от адреса отправителя: 553 5\.7\.1 Sender address rejected/,
      /получател/,
    );
  }, 60_000);

  it('535 bad password: explained, not retried by itself (no login hammering), sent once the password is corrected', async () => {
    const s = await edgeSmtp();
    const h = makeService({ autoStart: false, outbox: { initialBackoffMs: 200, maxBackoffMs: 400 } });
    try {
      const acc = await addAccount(h, dc, { port: s.port } as TestSmtp, { user: alice.user, pass: 'wrong' });
      h.mail.internals.outbox.start();
      const res = await send(h, acc);
      expect(res.error).toMatch(/^SMTP-сервер не принял логин или пароль\./);
      await sleep(1000);
      expect(h.mail.internals.outbox.item(res.outboxId)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
      expect(s.auths).toHaveLength(1);
      // The user corrects the password: the waiting mail goes, once, without pressing anything.
      await h.mail.handle('mail:accounts:save', { ...accountInput(dc, alice, { smtpPort: s.port }), id: acc.id });
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after the password was corrected', 10_000);
      await sleep(500);
      expect(s.complete).toBe(1);
    } finally {
      await h.close();
      await s.close();
    }
  }, 60_000);

  it('530 login required but no login offered', async () => {
    await permanent(
      { mail: () => ({ code: 530, text: '5.7.0 Authentication required' }) },
      { disabledCommands: ['STARTTLS', 'AUTH'] },
      {},
      /^SMTP-сервер 127\.0\.0\.1:\d+ требует вход, но не предложил его/,
      /получател/,
    );
  }, 60_000);

  it('STARTTLS required: explained when the account says no encryption; works with STARTTLS', async () => {
    const tls = { key: cert.key, cert: cert.cert, disabledCommands: [] as string[], allowInsecureAuth: false };
    await permanent({}, tls, {}, /^SMTP-сервер 127\.0\.0\.1:\d+ требует защищённое соединение \(STARTTLS\)/, /логин или пароль/);

    const s = await edgeSmtp({}, tls);
    const h = makeService({ autoStart: false, extraCa: [cert.cert] });
    try {
      const acc = (await h.mail.handle('mail:accounts:save', {
        ...accountInput(dc, alice, { smtpPort: s.port }),
        smtp: { host: 'localhost', port: s.port, security: 'starttls' },
      })) as MailAccountView;
      expect((await send(h, acc)).status).toBe('sent');
      expect(s.received).toHaveLength(1);
    } finally {
      await h.close();
      await s.close();
    }
  }, 60_000);
});

describe('sending: the app closed while a message is in flight', () => {
  /** "Kills" a service mid-send (its database closed under it) and opens a new one on the same file. */
  async function killAndRestart(knobs: Knobs, inFlight: (s: EdgeSmtp) => boolean) {
    const s = await edgeSmtp(knobs);
    const h1 = makeService({ autoStart: false, outbox: { initialBackoffMs: 200, maxBackoffMs: 400 } });
    const acc = await addAccount(h1, dc, { port: s.port } as TestSmtp, alice);
    const pending = send(h1, acc, { subject: 'Письмо при закрытии' }).catch(() => null);
    await waitFor(() => inFlight(s), 'the send in flight');
    h1.mail.internals.outbox.stop();
    h1.db.close();
    knobs.hangRcpt = false;
    knobs.hangAfterData = false;
    const db2 = new Database(join(h1.dir, 'app.db'));
    const h2: MailService = createMailService({ db: db2, secretBox: h1.box, dataDir: h1.dir, outbox: { initialBackoffMs: 200, maxBackoffMs: 400 }, sync: { pollMs: 60_000 } });
    const out = h2.internals.outbox;
    return {
      s,
      out,
      item: () => out.list(true)[0],
      async close() {
        await h2.stop();
        await s.close();
        await pending;
        db2.close();
        rmSync(h1.dir, { recursive: true, force: true });
      },
    };
  }

  it('closed before the message went out: sent once after the restart', async () => {
    const r = await killAndRestart({ hangRcpt: true }, (s) => s.rcptSeen > 0);
    try {
      await waitFor(() => r.item()?.status === 'sent', 'sent after restart', 10_000);
      await sleep(800);
      expect(r.s.received).toHaveLength(1);
    } finally {
      await r.close();
    }
  }, 60_000);

  it('closed after the server got the message but before it answered: not sent twice, the user is told it may have gone', async () => {
    const r = await killAndRestart({ hangAfterData: true }, (s) => s.received.length === 1);
    try {
      await sleep(1500);
      expect(r.s.received).toHaveLength(1);
      const it = r.item();
      expect(it).toMatchObject({ status: 'failed', nextAttemptAt: null });
      expect(it.lastError).toMatch(/возможно, уже отправлено/);
      expect(it.lastError).toMatch(/«Отправить сейчас»/);
      // The user decides: sending again is one click.
      r.out.retry(it.id);
      await waitFor(() => r.item()?.status === 'sent', 'sent on request', 10_000);
      expect(r.s.received).toHaveLength(2);
    } finally {
      await r.close();
    }
  }, 60_000);
});

describe('sending: what goes on the wire', () => {
  it('Russian subject, Cyrillic attachment name (RFC 2231), long lines, Bcc hidden, one copy in Sent', async () => {
    const smtp = await startSmtp({ dovecot: dc });
    const h = makeService({ autoStart: false });
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      const subject = 'Счёт на оплату №5 от 1 марта — срочно, пожалуйста, посмотрите сегодня же до вечера';
      const long = 'Очень длинная строка без переносов '.repeat(100) + '\n' + 'a'.repeat(3000);
      const res = await send(h, acc, {
        subject,
        text: long,
        to: ['Боб Иванов <bob@example.test>'],
        bcc: ['carol@example.test'],
        attachments: [{ filename: 'Договор поставки №12 (итоговая редакция).pdf', contentType: 'application/pdf', dataBase64: Buffer.from('%PDF-1.4').toString('base64') }],
      });
      expect(res.status).toBe('sent');
      const [m] = smtp.received;
      expect(m.to).toEqual(['bob@example.test', 'carol@example.test']);
      const raw = m.raw.toString();
      expect(raw).toMatch(/filename\*0\*=utf-8''%D0%94%D0%BE/);
      expect(Math.max(...raw.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
      expect(raw).not.toMatch(/^bcc:/im);
      expect(raw).not.toContain('carol@example.test');
      const parsed = await simpleParser(m.raw);
      expect(parsed.subject).toBe(subject);
      expect(parsed.text?.trimEnd()).toBe(long);
      expect(parsed.attachments.map((a) => a.filename)).toEqual(['Договор поставки №12 (итоговая редакция).pdf']);
      const copies = await sentCopies(messageIdOf(m.raw));
      expect(copies).toHaveLength(1);
      expect(copies[0]).not.toContain('carol@example.test');
    } finally {
      await h.close();
      await smtp.close();
    }
  }, 60_000);
});
