/**
 * «Проверить подключение» (IMAP login + SMTP EHLO/AUTH) and «Отправить тестовое письмо»
 * (to the account itself, then waiting for it in INBOX).
 */
import { randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { MailCheckResult, MailCheckStep } from '../../../src-shared/ipc/mail';
import type { AccountRecord } from './accounts';
import { buildMime } from './compose';
import { describeMailError } from './errors-ru';

export interface CheckDeps {
  openImap(acc: AccountRecord): Promise<ImapFlow>;
  smtpVerify(acc: AccountRecord): Promise<void>;
  smtpSend(acc: AccountRecord, envelope: { from: string; to: string[] }, raw: Buffer): Promise<void>;
}

async function step(
  name: MailCheckStep['step'],
  proto: 'imap' | 'smtp',
  acc: AccountRecord,
  okMessage: (ms: number) => string,
  fn: () => Promise<void>,
): Promise<MailCheckStep> {
  const t0 = Date.now();
  try {
    await fn();
    const ms = Date.now() - t0;
    return { step: name, ok: true, message: okMessage(ms), hint: null, code: null, ms };
  } catch (e) {
    const server = proto === 'smtp' ? acc.smtp : acc.imap;
    const d = describeMailError(e, { proto, host: server.host, port: server.port });
    return { step: name, ok: false, message: d.message, hint: d.hint, code: d.code, ms: Date.now() - t0 };
  }
}

export async function checkConnection(acc: AccountRecord, deps: CheckDeps): Promise<MailCheckResult> {
  const imap = await step('imap', 'imap', acc, (ms) => `Вход по IMAP выполнен (${acc.imap.host}:${acc.imap.port}, ${ms} мс).`, async () => {
    const c = await deps.openImap(acc);
    try {
      await c.mailboxOpen('INBOX', { readOnly: true });
    } finally {
      await c.logout().catch(() => c.close());
    }
  });
  const smtp = await step('smtp', 'smtp', acc, (ms) => `SMTP-сервер принял вход (${acc.smtp.host}:${acc.smtp.port}, ${ms} мс).`, () => deps.smtpVerify(acc));
  const steps = [imap, smtp];
  return { ok: steps.every((s) => s.ok), at: new Date().toISOString(), steps };
}

export async function sendTestMail(acc: AccountRecord, deps: CheckDeps, timeoutMs: number): Promise<MailCheckResult> {
  const token = randomBytes(6).toString('hex');
  const steps: MailCheckStep[] = [];
  let sentAt = 0;
  const send = await step('send', 'smtp', acc, (ms) => `Тестовое письмо отправлено на ${acc.email} (${ms} мс).`, async () => {
    const built = await buildMime({
      from: { name: acc.name || 'АСГАРД Телефония', email: acc.email },
      to: [acc.email],
      cc: [],
      bcc: [],
      subject: `Тестовое письмо АСГАРД Телефонии (${token})`,
      text:
        'Это тестовое письмо отправлено из АСГАРД Телефонии, чтобы проверить настройки почты.\n' +
        'Если вы его видите — отправка и получение работают. Письмо можно удалить.',
      attachments: [],
      headers: { 'X-Asgard-Test': token },
    });
    await deps.smtpSend(acc, built.envelope, built.raw);
    sentAt = Date.now();
  });
  steps.push(send);
  if (!send.ok) return { ok: false, at: new Date().toISOString(), steps };

  const receive = await step(
    'receive',
    'imap',
    acc,
    () => `Письмо пришло во «Входящие» через ${Math.max(1, Math.round((Date.now() - sentAt) / 1000))} с — почта настроена.`,
    async () => {
      const c = await deps.openImap(acc);
      try {
        const until = Date.now() + timeoutMs;
        for (;;) {
          await c.mailboxOpen('INBOX', { readOnly: true });
          const found = await c.search({ header: { 'x-asgard-test': token } }, { uid: true });
          if (found && found.length) return;
          if (Date.now() > until) {
            throw Object.assign(new Error('test mail did not arrive'), { code: 'TEST_NOT_ARRIVED' });
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        await c.logout().catch(() => c.close());
      }
    },
  );
  if (!receive.ok && receive.code === 'mail-unknown') {
    receive.message = `Письмо отправлено, но за ${Math.round(timeoutMs / 1000)} с не пришло во «Входящие».`;
    receive.hint = 'Проверьте папку «Спам» и адрес ящика; письмо могло задержаться на сервере — повторите проверку позже.';
    receive.code = 'mail-test-not-arrived';
  }
  steps.push(receive);
  return { ok: steps.every((s) => s.ok), at: new Date().toISOString(), steps };
}
