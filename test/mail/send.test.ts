/**
 * Sending through a real SMTP server that delivers into Dovecot: attachments, threading headers
 * of a reply, the copy in Sent, forward with the original's attachments, the outbox keeping a
 * message while SMTP is down and delivering it exactly once after, drafts, the test mail.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { splitAddresses } from '../../src-renderer/mail/addresses';
import { accountInput, addAccount, folderId, imapClient, makeService, waitFor, waitSynced } from './helpers';
import type { MailAccountView, MailCheckResult, MailComposePrefill, MailMessageView, MailOutboxItem, MailSendNotice, MailSummary } from '../../src-shared/ipc/mail';

const alice = { user: 'alice@example.test', pass: 'alice-pass' };
const bob = { user: 'bob@example.test', pass: 'bob-pass' };
const carol = { user: 'carol@example.test', pass: 'carol-pass' };
let dc: Dovecot;
let smtp: TestSmtp;

beforeAll(async () => {
  dc = await startDovecot({ users: [alice, bob, carol] });
  smtp = await startSmtp({ dovecot: dc });
});
afterAll(async () => {
  await smtp?.close();
  await dc?.stop();
});

async function inboxOf(user: { user: string; pass: string }) {
  const c = await imapClient(dc, user);
  try {
    await c.mailboxOpen('INBOX');
    const all = await c.fetchAll('1:*', { source: true, uid: true }).catch(() => []);
    return Promise.all(all.map((m) => simpleParser(m.source!)));
  } finally {
    await c.logout();
  }
}

describe('mail sending', () => {
  it('replies with attachment and threading headers, appends to Sent, forwards attachments', async () => {
    const original = rawMessage({
      from: 'Боб <bob@example.test>',
      to: 'alice@example.test, carol@example.test',
      subject: 'Коммерческое предложение',
      text: 'Добрый день, Алиса!\nЖдём ответа.',
      messageId: '<orig-1@example.test>',
      references: '<root-0@example.test>',
      inReplyTo: '<root-0@example.test>',
    });
    await dc.deliver(alice.user, original);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const list = (await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] };
      const src = list.items.find((m) => m.subject === 'Коммерческое предложение')!;

      const pre = (await h.mail.handle('mail:compose:prefill', { mode: 'replyAll', sourceMessageId: src.id })) as MailComposePrefill;
      expect(pre.subject).toBe('Re: Коммерческое предложение');
      expect(pre.to).toEqual(['Боб <bob@example.test>']);
      expect(pre.cc).toEqual(['carol@example.test']);
      expect(pre.text).toContain('> Добрый день, Алиса!');

      const pdf = Buffer.from('%PDF-1.4 test attachment ' + 'x'.repeat(5000));
      const res = (await h.mail.handle('mail:send', {
        accountId: acc.id,
        mode: 'replyAll',
        sourceMessageId: src.id,
        to: pre.to,
        cc: pre.cc,
        subject: pre.subject,
        text: 'Спасибо, смотрите вложение.' + pre.text,
        attachments: [{ filename: 'Счёт №1.pdf', contentType: 'application/pdf', dataBase64: pdf.toString('base64') }],
      })) as { outboxId: number; status: string; error: string | null };
      expect(res).toMatchObject({ status: 'sent', error: null });

      // Bob and Carol got it, with the threading headers and the attachment intact.
      const [got] = (await inboxOf(bob)).filter((m) => m.subject === 'Re: Коммерческое предложение');
      expect(got).toBeTruthy();
      expect(got.inReplyTo).toBe('<orig-1@example.test>');
      expect(got.references).toEqual(['<root-0@example.test>', '<orig-1@example.test>']);
      expect(got.attachments).toHaveLength(1);
      expect(got.attachments[0].filename).toBe('Счёт №1.pdf');
      expect(Buffer.compare(got.attachments[0].content, pdf)).toBe(0);
      expect((await inboxOf(carol)).some((m) => m.messageId === got.messageId)).toBe(true);

      // A copy is in Sent, synced locally, in the same thread as the original; original answered.
      const sent = await folderId(h, acc.id, 'Sent');
      const sentList = await waitFor(async () => {
        const l = (await h.mail.handle('mail:messages:list', { folderId: sent })) as { items: MailSummary[] };
        return l.items.length ? l.items : null;
      }, 'sent copy synced');
      expect(sentList).toHaveLength(1);
      expect(sentList[0].threadId).toBe(src.threadId);
      expect(sentList[0].hasAttachments).toBe(true);
      const thread = (await h.mail.handle('mail:messages:thread', { threadId: src.threadId! })) as MailSummary[];
      expect(thread.map((m) => m.subject)).toEqual(['Коммерческое предложение', 'Re: Коммерческое предложение']);
      await waitFor(async () => ((await h.mail.handle('mail:messages:get', { id: src.id })) as MailMessageView).answered, 'answered flag');

      // Forward carries the attachment of the sent mail along.
      const fwdPre = (await h.mail.handle('mail:compose:prefill', { mode: 'forward', sourceMessageId: sentList[0].id })) as MailComposePrefill;
      expect(fwdPre.subject).toBe('Fwd: Re: Коммерческое предложение');
      expect(fwdPre.sourceAttachments.map((a) => a.filename)).toEqual(['Счёт №1.pdf']);
      const fwd = (await h.mail.handle('mail:send', {
        accountId: acc.id,
        mode: 'forward',
        sourceMessageId: sentList[0].id,
        to: ['carol@example.test'],
        subject: fwdPre.subject,
        text: 'Пересылаю.' + fwdPre.text,
        includeSourceAttachments: true,
      })) as { status: string };
      expect(fwd.status).toBe('sent');
      const fwdGot = (await inboxOf(carol)).find((m) => m.subject === fwdPre.subject)!;
      expect(fwdGot.attachments.map((a) => a.filename)).toEqual(['Счёт №1.pdf']);
      expect(fwdGot.references).toContain(got.messageId);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('keeps a message in the outbox while SMTP is down and delivers it exactly once after', async () => {
    const down = await startSmtp({ dovecot: dc });
    const h = makeService({ outbox: { initialBackoffMs: 300, maxBackoffMs: 600 } });
    try {
      const acc = await addAccount(h, dc, down, alice);
      await down.stop();
      const res = (await h.mail.handle('mail:send', {
        accountId: acc.id,
        to: ['bob@example.test'],
        subject: 'Письмо через исходящие',
        text: 'Должно дойти один раз.',
      })) as { outboxId: number; status: string; error: string | null };
      expect(res.status).toBe('failed');
      expect(res.error).toMatch(/отклонил подключение/);
      expect(res.error).toMatch(/порт/);
      // The SMTP side failed: no IMAP advice (993, imap.mail.ru).
      expect(res.error).not.toMatch(/993|imap/i);
      const items = (await h.mail.handle('mail:outbox:list', {})) as MailOutboxItem[];
      expect(items[0]).toMatchObject({ id: res.outboxId, status: 'failed', subject: 'Письмо через исходящие' });
      expect(items[0].nextAttemptAt).not.toBeNull();

      // A few retries fail while it is down; the message stays.
      await waitFor(() => ((h.mail.internals.outbox.item(res.outboxId)?.attempts ?? 0) >= 3 ? true : null), 'retries', 10_000);
      expect(['failed', 'sending']).toContain(h.mail.internals.outbox.item(res.outboxId)?.status);
      expect(down.received).toHaveLength(0);

      await down.start();
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after SMTP is back', 10_000);
      // Nothing else goes out later, even after more retry windows pass.
      await new Promise((r) => setTimeout(r, 1500));
      const delivered = (await inboxOf(bob)).filter((m) => m.subject === 'Письмо через исходящие');
      expect(delivered).toHaveLength(1);
      expect(down.received.filter((m) => m.raw.toString().includes('Письмо через исходящие') || m.to.includes('bob@example.test'))).toHaveLength(1);
      const events = h.events.filter((e) => e.name === 'mail:outbox').map((e) => (e.payload as MailOutboxItem).status);
      expect(events).toContain('failed');
      expect(events.at(-1)).toBe('sent');
      expect((await h.mail.handle('mail:outbox:list', {})) as MailOutboxItem[]).toHaveLength(0);
    } finally {
      await h.close();
      await down.close();
    }
  }, 90_000);

  it('tells a failed send once, says the server is down for an account that sent before, and tells the delivery after', async () => {
    const down = await startSmtp({ dovecot: dc });
    const h = makeService({ outbox: { initialBackoffMs: 300, maxBackoffMs: 600 } });
    try {
      const acc = await addAccount(h, dc, down, alice);
      expect(((await h.mail.handle('mail:accounts:list', undefined)) as MailAccountView[])[0].lastSentAt).toBeNull();
      const first = (await h.mail.handle('mail:send', { accountId: acc.id, to: ['bob@example.test'], subject: 'Первое', text: 'Ушло.' })) as { status: string };
      expect(first.status).toBe('sent');
      // A real send counts for the checklist («Проверена отправка тестового письма»).
      const view = ((await h.mail.handle('mail:accounts:list', undefined)) as MailAccountView[])[0];
      expect(view.lastSentAt).not.toBeNull();
      expect(h.events.some((e) => e.name === 'mail:accounts' && (e.payload as { accounts: MailAccountView[] }).accounts[0]?.lastSentAt)).toBe(true);
      expect(h.events.filter((e) => e.name === 'mail:sendNotice')).toHaveLength(0);

      await down.stop();
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: ['bob@example.test'], subject: 'Расчёты по ТН-118', text: 'Во вложении.' })) as {
        outboxId: number;
        status: string;
        error: string | null;
      };
      expect(res.status).toBe('failed');
      // It sent minutes ago: an outage, not a setting to fix.
      expect(res.error).toMatch(/^Сервер исходящей почты \(SMTP\) 127\.0\.0\.1:\d+ не принимает подключения\./);
      expect(res.error).toMatch(/Почтовый сервер сейчас недоступен — повторим автоматически/);
      expect(res.error).not.toMatch(/порт|993|imap/i);

      await waitFor(() => ((h.mail.internals.outbox.item(res.outboxId)?.attempts ?? 0) >= 3 ? true : null), 'retries', 10_000);
      const notices = () => h.events.filter((e) => e.name === 'mail:sendNotice').map((e) => e.payload as MailSendNotice);
      // Once per message, not on every retry.
      expect(notices()).toHaveLength(1);
      expect(notices()[0]).toMatchObject({ kind: 'failed', willRetry: true, item: { id: res.outboxId, subject: 'Расчёты по ТН-118', status: 'failed' } });
      expect(notices()[0].reason).toMatch(/^Сервер исходящей почты \(SMTP\) .* не принимает подключения\.$/);

      await down.start();
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after SMTP is back', 10_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(notices().map((n) => n.kind)).toEqual(['failed', 'sentAfterFailure']);
      expect(notices()[1].item).toMatchObject({ id: res.outboxId, status: 'sent' });
      // «Первое» and this one, each once.
      expect(down.received).toHaveLength(2);
      expect((await inboxOf(bob)).filter((m) => m.subject === 'Расчёты по ТН-118')).toHaveLength(1);
    } finally {
      await h.close();
      await down.close();
    }
  }, 90_000);

  it('survives a restart with a message left in the outbox', async () => {
    const down = await startSmtp({ dovecot: dc });
    const h = makeService({ outbox: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 } });
    try {
      const acc = await addAccount(h, dc, down, alice);
      await down.stop();
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: ['bob@example.test'], subject: 'После перезапуска', text: '...' })) as { outboxId: number; status: string };
      expect(res.status).toBe('failed');
      await h.mail.stop();
      // As if the app crashed mid-attempt.
      h.db.prepare("UPDATE mail_outbox SET status = 'sending' WHERE id = ?").run(res.outboxId);
      await down.start();
      h.mail.start();
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after restart', 10_000);
      expect((await inboxOf(bob)).filter((m) => m.subject === 'После перезапуска')).toHaveLength(1);
    } finally {
      await h.close();
      await down.close();
    }
  }, 90_000);

  it('saves drafts and sends from a draft', async () => {
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      const d = (await h.mail.handle('mail:drafts:save', {
        accountId: acc.id,
        to: ['bob@example.test'],
        subject: 'Черновик',
        text: 'Недописанное',
        attachments: [{ filename: 'a.txt', contentType: 'text/plain', dataBase64: Buffer.from('hello').toString('base64') }],
      })) as { id: number };
      const again = (await h.mail.handle('mail:drafts:save', { id: d.id, accountId: acc.id, to: ['bob@example.test'], subject: 'Черновик 2', text: 'Дописано' })) as { id: number; subject: string };
      expect(again).toMatchObject({ id: d.id, subject: 'Черновик 2' });
      expect((await h.mail.handle('mail:drafts:list', {})) as unknown[]).toHaveLength(1);
      // Autosave saves the whole form (files too) into the same row again and again: one draft, one copy of each file.
      const file = { filename: 'b.txt', contentType: 'text/plain', dataBase64: Buffer.from('world').toString('base64') };
      for (const text of ['Дописано', 'Дописано']) {
        await h.mail.handle('mail:drafts:save', { id: d.id, accountId: acc.id, to: ['bob@example.test'], subject: 'Черновик 2', text, attachments: [file] });
      }
      expect((await h.mail.handle('mail:drafts:list', {})) as unknown[]).toHaveLength(1);
      expect(((await h.mail.handle('mail:drafts:get', { id: d.id })) as { attachmentsData: unknown[] }).attachmentsData).toEqual([file]);
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: ['bob@example.test'], subject: 'Черновик 2', text: 'Дописано', draftId: d.id })) as { status: string };
      expect(res.status).toBe('sent');
      expect((await h.mail.handle('mail:drafts:list', {})) as unknown[]).toHaveLength(0);
      // Saving into a draft that is gone says so by its code (autosave then keeps the letter in a new one).
      await expect(h.mail.handle('mail:drafts:save', { id: d.id, accountId: acc.id, subject: 'x' })).rejects.toMatchObject({ code: 'mail-no-draft' });
      await expect(h.mail.handle('mail:send', { accountId: acc.id, to: ['не адрес'], subject: 'x', text: 'y' })).rejects.toMatchObject({ code: 'mail-bad-address' });
    } finally {
      await h.close();
    }
  });

  it('checks the connection and sends a test mail that arrives', async () => {
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, carol);
      const check = (await h.mail.handle('mail:accounts:check', { id: acc.id })) as MailCheckResult;
      expect(check.ok).toBe(true);
      expect(check.steps.map((s) => s.step)).toEqual(['imap', 'smtp']);
      expect(check.steps[0].message).toMatch(/Вход по IMAP выполнен/);
      expect(check.steps[1].message).toMatch(/SMTP-сервер принял вход/);
      const test = (await h.mail.handle('mail:accounts:sendTest', { id: acc.id, timeoutSec: 20 })) as MailCheckResult;
      expect(test.ok).toBe(true);
      expect(test.steps.map((s) => s.step)).toEqual(['send', 'receive']);
      expect(test.steps[1].message).toMatch(/Письмо пришло во «Входящие»/);
      const views = (await h.mail.handle('mail:accounts:list', undefined)) as { lastCheck: MailCheckResult | null; passwordConfigured: boolean }[];
      expect(views[0].lastCheck?.steps.map((s) => s.step)).toEqual(['send', 'receive']);
      expect(views[0].passwordConfigured).toBe(true);
      expect(JSON.stringify(views)).not.toContain(carol.pass);
    } finally {
      await h.close();
    }
  }, 90_000);
});

describe('names with separators', () => {
  it('a reply to «Петров, Иван» goes to him as one recipient, his name intact', async () => {
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, carol);
      await dc.deliver(carol.user, rawMessage({ from: '"Петров, Иван" <bob@example.test>', to: carol.user, subject: 'Запятая в имени', text: 'Ответьте, пожалуйста.', messageId: '<comma-name@example.test>' }));
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const src = await waitFor(async () => ((await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] }).items.find((m) => m.subject === 'Запятая в имени'), 'source synced');
      const pre = (await h.mail.handle('mail:compose:prefill', { mode: 'reply', sourceMessageId: src.id })) as MailComposePrefill;
      expect(pre.to).toEqual(['"Петров, Иван" <bob@example.test>']);
      // The compose form splits the field as the renderer does.
      const to = splitAddresses(pre.to.join(', '));
      expect(to).toHaveLength(1);
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, mode: 'reply', sourceMessageId: src.id, to, subject: pre.subject, text: 'Ответ.' + pre.text })) as { status: string };
      expect(res.status).toBe('sent');
      const got = await waitFor(async () => (await inboxOf(bob)).find((m) => m.subject === 'Re: Запятая в имени'), 'reply delivered');
      expect(got.to && !Array.isArray(got.to) ? got.to.value : []).toEqual([{ name: 'Петров, Иван', address: 'bob@example.test' }]);
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe('signatures', () => {
  it('puts the account’s signature under new mail, above the quote of replies and forwards, and sends it', async () => {
    const h = makeService();
    try {
      const signature = 'С уважением,\r\nАлиса Иванова\r\nАСГАРД-Сервис, тендерный отдел\n\n';
      const saved = (await h.mail.handle('mail:accounts:save', { ...accountInput(dc, alice, { smtpPort: smtp.port }), signature })) as MailAccountView;
      expect(saved.signature).toBe(signature);
      // Saved again without the field (as by an older form): the signature stays.
      const again = (await h.mail.handle('mail:accounts:save', { ...accountInput(dc, alice, { smtpPort: smtp.port }), id: saved.id })) as MailAccountView;
      expect(again.signature).toBe(signature);
      const block = '-- \nС уважением,\nАлиса Иванова\nАСГАРД-Сервис, тендерный отдел';

      const fresh = (await h.mail.handle('mail:compose:prefill', { mode: 'new', accountId: saved.id })) as MailComposePrefill;
      expect(fresh.text).toBe('\n\n' + block);

      await dc.deliver(alice.user, rawMessage({ from: 'Боб <bob@example.test>', to: alice.user, subject: 'Сроки поставки', text: 'Когда поставка?\n-- \nБоб', messageId: '<sig-src@example.test>' }));
      await waitSynced(h, saved.id);
      const inbox = await folderId(h, saved.id, 'INBOX');
      const src = await waitFor(async () => { const it = ((await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] }).items; console.log(it.map((m) => m.subject)); return it.find((m) => m.subject === 'Сроки поставки'); }, 'source synced', 3000, 1000);
      const reply = (await h.mail.handle('mail:compose:prefill', { mode: 'reply', sourceMessageId: src.id })) as MailComposePrefill;
      // Answer on top: the user's text, the signature, then the quote.
      expect(reply.text.startsWith('\n\n' + block + '\n\n')).toBe(true);
      expect(reply.text.indexOf(block)).toBeLessThan(reply.text.indexOf('> Когда поставка?'));
      const fwd = (await h.mail.handle('mail:compose:prefill', { mode: 'forward', sourceMessageId: src.id })) as MailComposePrefill;
      expect(fwd.text.indexOf(block)).toBeGreaterThan(-1);
      expect(fwd.text.indexOf(block)).toBeLessThan(fwd.text.indexOf('-------- Пересылаемое сообщение --------'));

      const res = (await h.mail.handle('mail:send', { accountId: saved.id, to: ['bob@example.test'], subject: 'С подписью', text: 'Поставка в пятницу.' + fresh.text })) as { status: string };
      expect(res.status).toBe('sent');
      const got = await waitFor(async () => (await inboxOf(bob)).find((m) => m.subject === 'С подписью'), 'delivered to Bob');
      expect(got.text).toContain('Поставка в пятницу.\n\n-- \nС уважением,\nАлиса Иванова');

      // No signature: nothing added, not even the separator.
      const none = (await h.mail.handle('mail:accounts:save', { ...accountInput(dc, alice, { smtpPort: smtp.port }), id: saved.id, signature: '  \n' })) as MailAccountView;
      const plain = (await h.mail.handle('mail:compose:prefill', { mode: 'new', accountId: none.id })) as MailComposePrefill;
      expect(plain.text).toBe('');
    } finally {
      await h.close();
    }
  }, 60_000);
});
