/**
 * Drafts' copies in the mailbox's «Черновики» on a real Dovecot: one copy per draft with \Draft,
 * replaced when saved again (autosave rate-limited), gone when the draft is sent or deleted, made
 * at the next round when the server was unreachable, and a copy made elsewhere (a phone) opened
 * as a local draft that then replaces it.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { accountInput, addAccount, folderId, imapClient, makeService, startImapTap, waitFor, waitSynced } from './helpers';
import type { MailAccountView, MailDraftView, MailSummary } from '../../src-shared/ipc/mail';

const dora = { user: 'dora@example.test', pass: 'dora-pass' };
const erik = { user: 'erik@example.test', pass: 'erik-pass' };
const fedor = { user: 'fedor@example.test', pass: 'fedor-pass' };
let dc: Dovecot;
let smtp: TestSmtp;

beforeAll(async () => {
  dc = await startDovecot({ users: [dora, erik, fedor] });
  smtp = await startSmtp({ dovecot: dc });
});
afterAll(async () => {
  await smtp?.close();
  await dc?.stop();
});

interface ServerCopy {
  uid: number;
  flags: string[];
  mail: ParsedMail;
}

/** The server's Drafts as another client sees it. */
async function serverDrafts(u: { user: string; pass: string }, path = 'Drafts'): Promise<ServerCopy[]> {
  const c = await imapClient(dc, u);
  try {
    await c.mailboxOpen(path);
    const all = await c.fetchAll('1:*', { uid: true, flags: true, source: true }).catch(() => []);
    // A copy being replaced meanwhile may come without its source.
    return Promise.all(all.filter((m) => m.source).map(async (m) => ({ uid: m.uid, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), mail: await simpleParser(m.source!) })));
  } finally {
    await c.logout().catch(() => undefined);
  }
}

const subjects = async (u: { user: string; pass: string }) => (await serverDrafts(u)).map((c) => c.mail.subject ?? '');

describe('drafts on the server', () => {
  it('keeps exactly one up-to-date copy in Drafts, rate-limits autosave, removes it when sent or deleted', async () => {
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, dora);
      await waitSynced(h, acc.id);
      const file = { filename: 'смета.txt', contentType: 'text/plain', dataBase64: Buffer.from('итого 100').toString('base64') };
      const d = (await h.mail.handle('mail:drafts:save', {
        accountId: acc.id,
        to: ['erik@example.test'],
        bcc: ['fedor@example.test'],
        subject: 'КП черновик',
        text: 'Первая версия',
        attachments: [file],
      })) as MailDraftView;
      await waitFor(async () => (await subjects(dora)).includes('КП черновик'), 'the copy on the server');
      let copies = await serverDrafts(dora);
      expect(copies).toHaveLength(1);
      expect(copies[0].flags).toEqual(['\\Draft', '\\Seen']);
      expect(copies[0].mail.text?.trim()).toBe('Первая версия');
      expect(copies[0].mail.attachments.map((a) => a.filename)).toEqual(['смета.txt']);
      // Bcc stays in a draft (the phone finishing it needs it).
      expect(copies[0].mail.bcc).toBeTruthy();
      await waitFor(() => ((h.mail.handle('mail:drafts:get', { id: d.id }) as Promise<MailDraftView>).then((x) => x.onServer)), 'known to be on the server');

      // Saved again: still one copy, the new one.
      await h.mail.handle('mail:drafts:save', { id: d.id, accountId: acc.id, to: ['erik@example.test'], subject: 'КП черновик 2', text: 'Вторая версия', attachments: [file] });
      await waitFor(async () => (await subjects(dora)).join() === 'КП черновик 2', 'the copy replaced');
      copies = await serverDrafts(dora);
      expect(copies).toHaveLength(1);
      expect(copies[0].mail.text?.trim()).toBe('Вторая версия');

      // Autosave while typing: no new upload within 30 s of the last one…
      await h.mail.handle('mail:drafts:save', { id: d.id, accountId: acc.id, to: ['erik@example.test'], subject: 'КП черновик 3', text: 'Печатаю', server: 'soon' });
      await new Promise((r) => setTimeout(r, 1500));
      expect(await subjects(dora)).toEqual(['КП черновик 2']);
      // …until the form is left.
      await h.mail.handle('mail:drafts:pushNow', { id: d.id });
      await waitFor(async () => (await subjects(dora)).join() === 'КП черновик 3', 'the copy updated when the form is left');

      // The copy syncs back into the local «Черновики» like any message.
      const draftsFolder = await folderId(h, acc.id, 'Drafts');
      await waitFor(async () => {
        const l = (await h.mail.handle('mail:messages:list', { folderId: draftsFolder })) as { items: MailSummary[] };
        return l.items.length === 1 && l.items[0].subject === 'КП черновик 3';
      }, 'the copy in the local Drafts');

      // Sent: the copy goes, the message arrives.
      const res = (await h.mail.handle('mail:send', { accountId: acc.id, to: ['erik@example.test'], subject: 'КП черновик 3', text: 'Печатаю', draftId: d.id })) as { status: string };
      expect(res.status).toBe('sent');
      await waitFor(async () => (await serverDrafts(dora)).length === 0, 'the copy gone after sending');
      await waitFor(async () => (await Promise.all(smtp.received.map((m) => simpleParser(m.raw)))).some((m) => m.subject === 'КП черновик 3'), 'delivered');

      // Deleted: the copy goes too.
      const e = (await h.mail.handle('mail:drafts:save', { accountId: acc.id, subject: 'Удалю', text: 'Без получателей' })) as MailDraftView;
      await waitFor(async () => (await subjects(dora)).includes('Удалю'), 'a draft without recipients on the server');
      await h.mail.handle('mail:drafts:delete', { id: e.id });
      await waitFor(async () => (await serverDrafts(dora)).length === 0, 'the copy gone after deleting');
      await waitFor(
        async () => ((await h.mail.handle('mail:messages:list', { folderId: draftsFolder })) as { items: MailSummary[] }).items.every((m) => m.subject !== 'Удалю'),
        'the copy gone from the local «Черновики»',
      );
    } finally {
      await h.close();
    }
  }, 90_000);

  it('keeps the draft local while the server is unreachable and uploads it at the next round', async () => {
    const tap = await startImapTap(dc.port);
    const h = makeService();
    try {
      const acc = (await h.mail.handle('mail:accounts:save', accountInput(dc, erik, { imapPort: tap.port, smtpPort: smtp.port }))) as MailAccountView;
      await waitSynced(h, acc.id);
      tap.refuse = true;
      tap.dropAll();
      const d = (await h.mail.handle('mail:drafts:save', { accountId: acc.id, to: ['dora@example.test'], subject: 'Без связи', text: 'Сохранено офлайн' })) as MailDraftView;
      await new Promise((r) => setTimeout(r, 1500));
      expect(((await h.mail.handle('mail:drafts:get', { id: d.id })) as MailDraftView).onServer).toBe(false);
      expect(await subjects(erik)).toEqual([]);
      tap.refuse = false;
      await waitFor(async () => (await subjects(erik)).join() === 'Без связи', 'uploaded once the server is back', 20_000);
      expect(((await h.mail.handle('mail:drafts:get', { id: d.id })) as MailDraftView).onServer).toBe(true);
      await h.mail.handle('mail:drafts:delete', { id: d.id });
      await waitFor(async () => (await serverDrafts(erik)).length === 0, 'the copy gone');
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('replaces the copy by its Message-ID on a server without UIDPLUS', async () => {
    // The capability and the APPENDUID answer taken out: the copy is found by its Message-ID.
    const tap = await startImapTap(dc.port, { serverLine: (l) => l.replace(/ UIDPLUS\b/g, '').replace(/\[APPENDUID \d+ \d+\] ?/, '') });
    const h = makeService();
    try {
      const acc = (await h.mail.handle('mail:accounts:save', accountInput(dc, dora, { imapPort: tap.port, smtpPort: smtp.port }))) as MailAccountView;
      await waitSynced(h, acc.id);
      const d = (await h.mail.handle('mail:drafts:save', { accountId: acc.id, subject: 'Без UIDPLUS', text: 'раз' })) as MailDraftView;
      await waitFor(async () => (await subjects(dora)).join() === 'Без UIDPLUS', 'the copy');
      await h.mail.handle('mail:drafts:save', { id: d.id, accountId: acc.id, subject: 'Без UIDPLUS 2', text: 'два' });
      await waitFor(async () => (await subjects(dora)).join() === 'Без UIDPLUS 2', 'one copy, replaced');
      expect(tap.lines.some((l) => /APPEND/i.test(l))).toBe(true);
      await h.mail.handle('mail:drafts:delete', { id: d.id });
      await waitFor(async () => (await serverDrafts(dora)).length === 0, 'the copy gone');
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('opens a draft made elsewhere as a local draft that then replaces it; its own copy opens its draft', async () => {
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, smtp, fedor);
      await waitSynced(h, acc.id);
      // A draft saved on the phone.
      const c = await imapClient(dc, fedor);
      try {
        const raw = rawMessage({ from: 'fedor@example.test', to: 'Дора <dora@example.test>', subject: 'С телефона', text: 'Начал в метро', messageId: '<phone-draft-1@example.test>' });
        await c.append('Drafts', raw, ['\\Draft', '\\Seen']);
      } finally {
        await c.logout().catch(() => undefined);
      }
      const draftsFolder = await folderId(h, acc.id, 'Drafts');
      await h.mail.handle('mail:folders:sync', { folderId: draftsFolder });
      const phone = await waitFor(async () => ((await h.mail.handle('mail:messages:list', { folderId: draftsFolder })) as { items: MailSummary[] }).items.find((m) => m.subject === 'С телефона'), 'the phone draft here');
      const { draftId } = (await h.mail.handle('mail:drafts:fromMessage', { messageId: phone.id })) as { draftId: number };
      const d = (await h.mail.handle('mail:drafts:get', { id: draftId })) as MailDraftView;
      expect(d).toMatchObject({ accountId: acc.id, subject: 'С телефона', to: ['Дора <dora@example.test>'], onServer: true });
      expect(d.text.trim()).toBe('Начал в метро');
      // Asked again: the same draft, not another.
      expect(((await h.mail.handle('mail:drafts:fromMessage', { messageId: phone.id })) as { draftId: number }).draftId).toBe(draftId);
      // Finished here: the phone's copy is replaced by this one.
      await h.mail.handle('mail:drafts:save', { id: draftId, accountId: acc.id, to: d.to, subject: 'С телефона', text: 'Начал в метро, дописал дома' });
      await waitFor(async () => {
        const all = await serverDrafts(fedor);
        return all.length === 1 && all[0].mail.text?.includes('дописал дома');
      }, 'one copy, the new text');
      await waitFor(async () => {
        const items = ((await h.mail.handle('mail:messages:list', { folderId: draftsFolder })) as { items: MailSummary[] }).items;
        return items.length === 1 && items[0].id !== phone.id ? items[0] : null;
      }, 'the new copy synced back').then(async (mine) => {
        expect(((await h.mail.handle('mail:drafts:fromMessage', { messageId: mine.id })) as { draftId: number }).draftId).toBe(draftId);
      });
    } finally {
      await h.close();
    }
  }, 60_000);
});
