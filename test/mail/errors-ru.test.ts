/**
 * errors-ru wording without servers: a failure names the side that failed (SMTP or IMAP) and
 * gives only that side's advice; for an account that has worked, network trouble is an outage
 * («сервер сейчас недоступен — повторим автоматически»), not a setting to change.
 */
import { describe, expect, it } from 'vitest';
import { describeMailError, retryByItself, ruLine } from '../../src-main/core/mail/errors-ru';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('describeMailError: SMTP vs IMAP', () => {
  it('a refused SMTP connection gives SMTP advice only', () => {
    const d = describeMailError(err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:465'), { proto: 'smtp', host: 'smtp.mail.ru', port: 465 });
    expect(d.message).toBe('SMTP-сервер smtp.mail.ru:465 отклонил подключение: на этом порту никто не отвечает.');
    expect(d.hint).toMatch(/SMTP/);
    expect(d.hint).toMatch(/465 с SSL или 587 с STARTTLS/);
    expect(d.hint).toMatch(/smtp\.mail\.ru/);
    expect(d.hint).not.toMatch(/IMAP|993|imap\./);
    expect(d.transient).toBe(true);
  });

  it('a refused IMAP connection gives IMAP advice only', () => {
    const d = describeMailError(err('ECONNREFUSED'), { proto: 'imap', host: 'imap.mail.ru', port: 993 });
    expect(d.message).toMatch(/^IMAP-сервер imap\.mail\.ru:993 отклонил подключение/);
    expect(d.hint).toMatch(/993 с SSL\/TLS/);
    expect(d.hint).not.toMatch(/SMTP|465|587|smtp\./);
  });

  it('an unknown SMTP host names SMTP and its address example', () => {
    const d = describeMailError(err('ENOTFOUND', 'getaddrinfo ENOTFOUND smtp.nowhere.test'), { proto: 'smtp', host: 'smtp.nowhere.test', port: 465 });
    expect(d.message).toBe('SMTP-сервер smtp.nowhere.test:465 не найден.');
    expect(d.hint).not.toMatch(/imap/i);
  });

  it('a timeout and a TLS mismatch give the failing side its own ports', () => {
    const t = describeMailError(err('ETIMEDOUT', 'Greeting never received'), { proto: 'smtp', host: 'h', port: 25 });
    expect(t.hint).toMatch(/SMTP/);
    expect(t.hint).not.toMatch(/993/);
    const tls = describeMailError(err('EPROTO', 'wrong version number'), { proto: 'imap', host: 'h', port: 143 });
    expect(tls.hint).toMatch(/993/);
    expect(tls.hint).not.toMatch(/465/);
  });
});

describe('describeMailError: an account that has worked before', () => {
  for (const [code, what] of [
    ['ECONNREFUSED', 'не принимает подключения'],
    ['ETIMEDOUT', 'не ответил вовремя'],
    ['EAI_AGAIN', 'временно не находится по имени (сбой DNS)'],
    ['ECONNRESET', 'прервал соединение'],
  ] as const) {
    it(`${code}: an outage, retried by itself, without configuration advice`, () => {
      const e = err(code);
      const d = describeMailError(e, { proto: 'smtp', host: 'smtp.mail.ru', port: 465, workedBefore: true });
      expect(d.message).toBe(`Сервер исходящей почты (SMTP) smtp.mail.ru:465 ${what}.`);
      expect(d.hint).toBe('Почтовый сервер сейчас недоступен — повторим автоматически.');
      expect(ruLine(d)).not.toMatch(/порт|993|imap|Проверьте/i);
      expect(d.transient).toBe(true);
      expect(retryByItself(e, d)).toBe(true);
    });
  }

  it('IMAP outage is worded for IMAP', () => {
    const d = describeMailError(err('ECONNREFUSED'), { proto: 'imap', host: 'imap.mail.ru', port: 993, workedBefore: true });
    expect(d.message).toBe('Сервер входящей почты (IMAP) imap.mail.ru:993 не принимает подключения.');
    expect(d.hint).toBe('Почтовый сервер сейчас недоступен — повторим автоматически.');
  });

  it('a name that does not exist, a wrong password or a TLS mismatch still get their advice', () => {
    const nf = describeMailError(err('ENOTFOUND'), { proto: 'smtp', host: 'x', port: 465, workedBefore: true });
    expect(nf.message).toMatch(/не найден/);
    expect(nf.hint).toMatch(/Проверьте адрес сервера исходящей почты/);
    const auth = describeMailError(Object.assign(new Error('535 auth failed'), { code: 'EAUTH', responseCode: 535 }), { proto: 'smtp', workedBefore: true });
    expect(auth.kind).toBe('auth');
    const tls = describeMailError(err('EPROTO', 'wrong version number'), { proto: 'smtp', workedBefore: true });
    expect(tls.kind).toBe('tls-mismatch');
  });
});
