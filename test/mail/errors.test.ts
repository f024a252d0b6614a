/**
 * «Проверить подключение» against real servers set up wrong: bad password, wrong port or SSL
 * mode, an untrusted certificate, a silent server, and providers' "IMAP disabled" / "app password
 * required" answers — each explained in plain Russian with the guide's hints.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeService, type Harness } from './helpers';
import type { MailAccountInput, MailCheckResult, MailCheckStep } from '../../src-shared/ipc/mail';

const dave = { user: 'dave@example.test', pass: 'right-pass' };
let dc: Dovecot;
let smtp: TestSmtp;
let h: Harness;
const servers: Server[] = [];

/** A fake IMAP server that greets and refuses every login with the given text. */
async function fakeImap(noText: string): Promise<number> {
  const srv = createServer((sock) => {
    sock.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] Fake ready\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, cmd] = line.split(' ');
        const c = (cmd ?? '').toUpperCase();
        if (c === 'CAPABILITY') sock.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n${tag} OK done\r\n`);
        else if (c === 'ID') sock.write(`* ID NIL\r\n${tag} OK done\r\n`);
        else if (c === 'LOGIN' || c === 'AUTHENTICATE') sock.write(`${tag} NO ${noText}\r\n`);
        else if (c === 'LOGOUT') {
          sock.write(`* BYE\r\n${tag} OK bye\r\n`);
          sock.end();
        } else sock.write(`${tag} BAD unknown\r\n`);
      }
    });
    sock.on('error', () => undefined);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const a = srv.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** Accepts connections and never says a word. */
async function silentServer(): Promise<number> {
  const srv = createServer((sock) => sock.on('error', () => undefined));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const a = srv.address();
  return typeof a === 'object' && a ? a.port : 0;
}

function settings(over: Partial<MailAccountInput> = {}): MailAccountInput {
  return {
    email: dave.user,
    login: dave.user,
    preset: 'custom',
    imap: { host: '127.0.0.1', port: dc.port, security: 'none' },
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
    auth: 'password',
    password: dave.pass,
    ...over,
  };
}

async function check(over: Partial<MailAccountInput>): Promise<{ imap: MailCheckStep; smtp: MailCheckStep; ok: boolean }> {
  const r = (await h.mail.handle('mail:accounts:check', settings(over))) as MailCheckResult;
  return { imap: r.steps[0], smtp: r.steps[1], ok: r.ok };
}

beforeAll(async () => {
  dc = await startDovecot({ users: [dave] });
  smtp = await startSmtp({ dovecot: dc });
  h = makeService({ timeouts: { connectMs: 3_000, greetingMs: 1_500, socketMs: 10_000 } });
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
  await dc?.stop();
  for (const s of servers) s.close();
});

describe('connection check errors in Russian', () => {
  it('passes with the right settings, before saving', async () => {
    const r = await check({});
    expect(r.ok).toBe(true);
  });

  it('bad password: says so and suggests an app password', async () => {
    const r = await check({ password: 'wrong' });
    expect(r.ok).toBe(false);
    expect(r.imap).toMatchObject({ ok: false, code: 'mail-auth', message: 'IMAP-сервер не принял логин или пароль.' });
    expect(r.imap.hint).toMatch(/пароль приложения, а не основной пароль/);
    expect(r.imap.hint).toMatch(/включён доступ по протоколам IMAP и SMTP/);
    expect(r.smtp).toMatchObject({ ok: false, code: 'mail-auth', message: 'SMTP-сервер не принял логин или пароль.' });
  });

  it('wrong port or SSL mode: TLS to a plaintext port, plaintext to a TLS port, nothing listening', async () => {
    const tlsToPlain = await check({ imap: { host: '127.0.0.1', port: dc.port, security: 'tls' }, smtp: { host: '127.0.0.1', port: smtp.port, security: 'tls' } });
    expect(tlsToPlain.imap.code).toBe('mail-tls-mismatch');
    expect(tlsToPlain.imap.message).toMatch(/неверный порт или режим SSL/);
    expect(tlsToPlain.imap.hint).toMatch(/993 с SSL\/TLS/);
    expect(tlsToPlain.smtp.code).toBe('mail-tls-mismatch');
    expect(tlsToPlain.smtp.hint).toMatch(/465 с SSL или 587 с STARTTLS/);

    const plainToTls = await check({ imap: { host: '127.0.0.1', port: dc.tlsPort, security: 'none' } });
    expect(plainToTls.imap.code).toBe('mail-timeout');
    expect(plainToTls.imap.message).toMatch(/неверный порт или режим SSL/);

    const closed = await freePort();
    const refused = await check({ imap: { host: '127.0.0.1', port: closed, security: 'tls' }, smtp: { host: '127.0.0.1', port: closed, security: 'tls' } });
    expect(refused.imap.code).toBe('mail-refused');
    expect(refused.imap.message).toBe(`IMAP-сервер 127.0.0.1:${closed} отклонил подключение: на этом порту никто не отвечает.`);
    expect(refused.smtp.code).toBe('mail-refused');
  });

  it('untrusted certificate, and the same server trusted', async () => {
    const r = await check({ imap: { host: 'localhost', port: dc.tlsPort, security: 'tls' } });
    expect(r.imap.code).toBe('mail-certificate');
    expect(r.imap.message).toMatch(/Не удалось проверить сертификат сервера localhost:\d+: сертификат не подписан доверенным центром/);
    const trusted = makeService({ extraCa: [dc.certPem] });
    try {
      const ok = (await trusted.mail.handle('mail:accounts:check', settings({ imap: { host: 'localhost', port: dc.tlsPort, security: 'tls' } }))) as MailCheckResult;
      expect(ok.steps[0]).toMatchObject({ ok: true });
      const wrongName = (await trusted.mail.handle('mail:accounts:check', settings({ imap: { host: '127.0.0.2', port: dc.tlsPort, security: 'tls' } }))) as MailCheckResult;
      // 127.0.0.2 is not in the certificate (loopback still answers on Linux) — or it does not listen there.
      expect(['mail-certificate', 'mail-refused']).toContain(wrongName.steps[0].code);
    } finally {
      await trusted.close();
    }
  }, 90_000);

  it('a server that never answers: timeout', async () => {
    const port = await silentServer();
    const r = await check({ imap: { host: '127.0.0.1', port, security: 'none' } });
    expect(r.imap.code).toBe('mail-timeout');
    expect(r.imap.message).toMatch(/не ответил/);
  });

  it('provider answers: IMAP disabled, app password required', async () => {
    const disabled = await fakeImap('[ALERT] Your account is not enabled for IMAP use. Please visit your settings.');
    const r1 = await check({ imap: { host: '127.0.0.1', port: disabled, security: 'none' } });
    expect(r1.imap.code).toBe('mail-imap-disabled');
    expect(r1.imap.message).toBe('Доступ по IMAP выключен в настройках почтового ящика.');
    const yandex = await fakeImap('[AUTHENTICATIONFAILED] This user does not have access rights to this service');
    expect((await check({ imap: { host: '127.0.0.1', port: yandex, security: 'none' } })).imap.code).toBe('mail-imap-disabled');
    const appPass = await fakeImap('[ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833');
    const r2 = await check({ imap: { host: '127.0.0.1', port: appPass, security: 'none' } });
    expect(r2.imap.code).toBe('mail-app-password');
    expect(r2.imap.message).toBe('Сервер требует пароль приложения вместо основного пароля.');
  });

  it('rejects a save without a password and never returns secrets', async () => {
    await expect(h.mail.handle('mail:accounts:save', { ...settings(), password: undefined })).rejects.toMatchObject({ code: 'mail-no-password' });
    await expect(h.mail.handle('mail:accounts:save', { ...settings(), email: 'not-an-email' })).rejects.toMatchObject({ code: 'mail-bad-args' });
    const saved = await h.mail.handle('mail:accounts:save', settings());
    expect(JSON.stringify(saved)).not.toContain(dave.pass);
    const row = h.db.prepare('SELECT password_enc FROM mail_accounts').get() as { password_enc: string };
    expect(row.password_enc).not.toContain(dave.pass);
    expect(h.box.seen).toContain(row.password_enc);
  });
});
