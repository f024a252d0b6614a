/**
 * «Отменить отправку» and «Отправить позже» against the real SMTP server delivering into Dovecot:
 * nothing leaves before the undo delay and exactly one message after it; «Отменить» within the
 * delay turns the message back into a draft (recipients, text, attachments, the reply link) and
 * nothing ever arrives; once claimed it is refused and the message arrives once; a scheduled
 * message survives a restart (the store re-opened), goes out once when due — also when the app
 * was closed at its time — dated when it went out; «Отправить сейчас» sends at once.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailService } from '../../src-main/core/mail';
import type { MailDraftView, MailOutboxItem, MailSummary } from '../../src-shared/ipc/mail';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { addAccount, folderId, imapClient, makeService, waitFor, waitSynced, type Harness } from './helpers';

const alice = { user: 'alice@example.test', pass: 'alice-pass' };
const bob = { user: 'bob@example.test', pass: 'bob-pass' };
let dc: Dovecot;
let smtp: TestSmtp;

beforeAll(async () => {
  dc = await startDovecot({ users: [alice, bob] });
  smtp = await startSmtp({ dovecot: dc });
});
afterAll(async () => {
  await smtp?.close();
  await dc?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Messages the SMTP server took with this subject (MIME-encoded subjects: match the raw's id instead). */
const took = (marker: string) => smtp.received.filter((m) => m.raw.toString('latin1').includes(marker));
type SendResult = { outboxId: number; status: string; error: string | null; sendAt: string | null };

async function inboxSubjects(user: { user: string; pass: string }): Promise<string[]> {
  const c = await imapClient(dc, user);
  try {
    await c.mailboxOpen('INBOX');
    return (await c.fetchAll('1:*', { envelope: true }).catch(() => [])).map((m) => m.envelope?.subject ?? '');
  } finally {
    await c.logout().catch(() => undefined);
  }
}

describe('undo send', () => {
  it('holds the message for the delay, then sends it exactly once', async () => {
    const h = makeService({ undoSendMs: () => 700 });
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      const t0 = Date.now();
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'undo-delay-1', text: 'Подождёт.' })) as SendResult;
      expect(res.status).toBe('scheduled');
      expect(Date.parse(res.sendAt!) - t0).toBeGreaterThanOrEqual(650);
      expect(h.mail.internals.outbox.item(res.outboxId)).toMatchObject({ status: 'scheduled', userScheduled: false });
      // Asking to send it (a retry, the resume after sleep) does not send it before its time.
      await h.mail.handle('mail:outbox:retry', { id: res.outboxId });
      await h.mail.internals.outbox.attempt(res.outboxId);
      await sleep(400);
      expect(took('undo-delay-1')).toHaveLength(0);
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent after the delay', 10_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
      await sleep(300);
      expect(took('undo-delay-1')).toHaveLength(1);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('«Отменить» within the delay: nothing ever arrives, the draft is back with everything, the outbox item is gone', async () => {
    const h = makeService({ undoSendMs: () => 600 });
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      await dc.deliver(alice.user, rawMessage({ from: 'Боб <bob@example.test>', to: alice.user, subject: 'Вопрос по смете', text: 'Когда?', messageId: '<undo-src@example.test>' }));
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const src = await waitFor(
        async () => ((await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] }).items.find((m) => m.subject === 'Вопрос по смете'),
        'source synced',
      );
      const file = Buffer.from('Позиция;Цена\nБетон;5200\n');
      const input = {
        accountId: acc.id,
        mode: 'reply' as const,
        sourceMessageId: src.id,
        to: ['Боб <bob@example.test>'],
        cc: ['carol@example.test'],
        bcc: ['audit@example.test'],
        subject: 'Re: undo-cancel-2',
        text: 'Смета во вложении.\n\n> Когда?',
        attachments: [{ filename: 'Смета.csv', contentType: 'text/csv', dataBase64: file.toString('base64') }],
      };
      // Sent from a draft: that draft is gone once queued, and a new one comes back on cancel.
      const d0 = (await h.mail.handle('mail:drafts:save', input)) as MailDraftView;
      const res = (await h.mail.handle('mail:send', { ...input, draftId: d0.id })) as SendResult;
      expect(res.status).toBe('scheduled');
      expect((await h.mail.handle('mail:drafts:list', {})) as unknown[]).toHaveLength(0);

      const { draftId } = (await h.mail.handle('mail:outbox:cancel', { id: res.outboxId })) as { draftId: number };
      expect((await h.mail.handle('mail:outbox:list', { includeSent: true })) as MailOutboxItem[]).toHaveLength(0);
      const d = (await h.mail.handle('mail:drafts:get', { id: draftId })) as MailDraftView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] };
      expect(d).toMatchObject({ accountId: acc.id, mode: 'reply', sourceMessageId: src.id, to: input.to, cc: input.cc, bcc: input.bcc, subject: input.subject, text: input.text });
      expect(d.attachmentsData).toEqual(input.attachments);
      // Cancelling twice: the item is gone.
      await expect(h.mail.handle('mail:outbox:cancel', { id: res.outboxId })).rejects.toMatchObject({ code: 'mail-no-outbox' });

      // Well past the 600 ms it would have waited.
      await sleep(900);
      expect(took('undo-cancel-2')).toHaveLength(0);
      expect(await inboxSubjects(bob)).not.toContain('Re: undo-cancel-2');

      // Sent again from the restored draft: the reply link is intact.
      const again = (await h.mail.handle('mail:send', { ...input, draftId })) as SendResult;
      await waitFor(() => h.mail.internals.outbox.item(again.outboxId)?.status === 'sent', 'sent from the restored draft', 10_000);
      const [got] = took('undo-cancel-2');
      const parsed = await simpleParser(got.raw);
      expect(parsed.inReplyTo).toBe('<undo-src@example.test>');
      expect(parsed.attachments.map((a) => a.filename)).toEqual(['Смета.csv']);
      expect((await h.mail.handle('mail:drafts:list', {})) as unknown[]).toHaveLength(0);
    } finally {
      await h.close();
    }
  }, 40_000);

  it('«Отменить» after the claim is refused and the message arrives once; a racing claim and cancel never both win', async () => {
    const h = makeService({ undoSendMs: () => 300 });
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'undo-late-3', text: '...' })) as SendResult;
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status !== 'scheduled', 'claimed', 10_000);
      await expect(h.mail.handle('mail:outbox:cancel', { id: res.outboxId })).rejects.toMatchObject({ code: 'mail-too-late', message: 'Письмо уже отправлено.' });
      await waitFor(() => h.mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent', 10_000);
      expect(took('undo-late-3')).toHaveLength(1);
      expect((await h.mail.handle('mail:drafts:list', {})) as unknown[]).toHaveLength(0);

      // The claim and the cancel at the same moment, either order: exactly one of them wins.
      const slow = makeService({ undoSendMs: () => 60_000 });
      try {
        const acc2 = await addAccount(slow, dc, smtp, alice);
        for (const claimFirst of [true, false]) {
          const subject = `undo-race-${claimFirst ? 'claim' : 'cancel'}`;
          const r = (await slow.mail.handle('mail:send', { accountId: acc2.id, to: [bob.user], subject, text: '...' })) as SendResult;
          slow.db.prepare('UPDATE mail_outbox SET next_attempt_at = ? WHERE id = ?').run(Date.now() - 1, r.outboxId);
          const outcomes = claimFirst
            ? await Promise.allSettled([slow.mail.internals.outbox.attempt(r.outboxId), slow.mail.handle('mail:outbox:cancel', { id: r.outboxId })])
            : await Promise.allSettled([slow.mail.handle('mail:outbox:cancel', { id: r.outboxId }), slow.mail.internals.outbox.attempt(r.outboxId)]);
          expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
          const drafts = (await slow.mail.handle('mail:drafts:list', {})) as MailDraftView[];
          await sleep(200);
          if (claimFirst) {
            expect(took(subject)).toHaveLength(1);
            expect(drafts.filter((x) => x.subject === subject)).toHaveLength(0);
          } else {
            expect(took(subject)).toHaveLength(0);
            expect(drafts.filter((x) => x.subject === subject)).toHaveLength(1);
          }
        }
      } finally {
        await slow.close();
      }
    } finally {
      await h.close();
    }
  }, 40_000);

  it('with no delay (0) it sends at once, as before', async () => {
    const h = makeService({ undoSendMs: () => 0 });
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'undo-off-4', text: '...' })) as SendResult;
      expect(res).toMatchObject({ status: 'sent', sendAt: null });
      expect(took('undo-off-4')).toHaveLength(1);
    } finally {
      await h.close();
    }
  }, 20_000);
});

describe('send later', () => {
  it('keeps a scheduled message across a restart and sends it once at the next start when its time passed meanwhile', async () => {
    const h = makeService({ undoSendMs: () => 60_000 });
    let reopened: Harness | null = null;
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      await expect(h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'past', text: '.', sendAt: Date.now() - 1000 })).rejects.toMatchObject({
        code: 'mail-send-at-past',
      });
      const writtenAt = Date.now();
      const sendAt = writtenAt + 1500;
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'later-5', text: 'Утром.', sendAt })) as SendResult;
      expect(res).toMatchObject({ status: 'scheduled', sendAt: new Date(sendAt).toISOString() });
      const [item] = (await h.mail.handle('mail:outbox:list', {})) as MailOutboxItem[];
      expect(item).toMatchObject({ id: res.outboxId, status: 'scheduled', userScheduled: true, sendAt: new Date(sendAt).toISOString() });

      // The app closes before the time and starts again after it: the store is re-opened.
      await h.mail.stop();
      h.db.close();
      await sleep(sendAt - Date.now() + 300);
      expect(took('later-5')).toHaveLength(0);
      const db = new Database(join(h.dir, 'app.db'));
      db.pragma('journal_mode = WAL');
      const mail = createMailService({ db, secretBox: h.box, dataDir: h.dir, outbox: { initialBackoffMs: 300, maxBackoffMs: 2_000 }, sync: { pollMs: 60_000 } });
      reopened = {
        ...h,
        db,
        mail,
        close: async () => {
          await mail.stop();
          db.close();
        },
      };
      await waitFor(() => mail.internals.outbox.item(res.outboxId)?.status === 'sent', 'sent at the next start', 10_000);
      await sleep(300);
      const got = took('later-5');
      expect(got).toHaveLength(1);
      // Dated when it went out, not when it was written.
      const date = (await simpleParser(got[0].raw)).date!;
      expect(date.getTime()).toBeGreaterThanOrEqual(sendAt - 1000);
      expect(await inboxSubjects(bob)).toContain('later-5');
    } finally {
      if (reopened) await reopened.close();
      else await h.mail.stop();
      const { rmSync } = await import('node:fs');
      try {
        h.db.close();
      } catch {
        /* already closed */
      }
      rmSync(h.dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('survives a restart while waiting and goes out once when due; «Отправить сейчас» sends at once; «Отменить» returns it to drafts', async () => {
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, alice);
      const soon = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'later-6', text: '.', sendAt: Date.now() + 1200 })) as SendResult;
      const hour = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'later-7', text: '.', sendAt: Date.now() + 3_600_000 })) as SendResult;
      const month = (await h.mail.handle('mail:send', { accountId: acc.id, to: [bob.user], subject: 'later-8', text: '.', sendAt: Date.now() + 40 * 86_400_000 })) as SendResult;
      // A restart of the mail service while they wait (the timer is armed again from the store).
      await h.mail.stop();
      h.mail.start();
      await sleep(300);
      expect(took('later-6')).toHaveLength(0);

      const now = (await h.mail.handle('mail:outbox:sendNow', { id: hour.outboxId })) as { status: string };
      expect(now.status).toBe('sent');
      expect(took('later-7')).toHaveLength(1);

      await waitFor(() => h.mail.internals.outbox.item(soon.outboxId)?.status === 'sent', 'the scheduled one sent when due', 10_000);
      await sleep(300);
      expect(took('later-6')).toHaveLength(1);
      expect(took('later-7')).toHaveLength(1);
      // A time past setTimeout's limit (~24.8 days) neither goes out early nor spins.
      expect(took('later-8')).toHaveLength(0);
      expect(h.mail.internals.outbox.item(month.outboxId)?.status).toBe('scheduled');
      const { draftId } = (await h.mail.handle('mail:outbox:cancel', { id: month.outboxId })) as { draftId: number };
      expect(((await h.mail.handle('mail:drafts:get', { id: draftId })) as MailDraftView).subject).toBe('later-8');
      await expect(h.mail.handle('mail:outbox:cancel', { id: soon.outboxId })).rejects.toMatchObject({ code: 'mail-too-late' });
    } finally {
      await h.close();
    }
  }, 30_000);
});
