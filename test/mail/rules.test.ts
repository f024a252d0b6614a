/**
 * «Правила сортировки» against the real Dovecot: mail delivered while the sync idles is filed
 * by the account's rules at once here (moved, marked read, flagged, deleted to Trash) and on the
 * server through the queued changes; ALL vs ANY, «остановить обработку», Russian case folding;
 * the first download is left alone; mail a rule filed is not announced as new; a rule whose
 * folder is gone keeps its other actions and the sync goes on; «Применить сейчас» counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import type { MailRuleInput, MailRuleView, MailSummary } from '../../src-shared/ipc/mail';
import { addAccount, folderId, folderViews, imapClient, listFolder, makeService, onServer, opsLeft, stateOf, waitFor, waitSynced, type Harness } from './helpers';

const users = Array.from({ length: 3 }, (_, i) => ({ user: `rules${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
}, 30_000);
afterAll(async () => {
  await dc?.stop();
});

const save = async (h: Harness, r: MailRuleInput) => (await h.mail.handle('mail:rules:save', r)) as MailRuleView;
const rulesOf = async (h: Harness, accountId: number) => (await h.mail.handle('mail:rules:list', { accountId })) as MailRuleView[];
const subjects = (l: { subject: string }[]) => l.map((m) => m.subject).sort();
const announced = (h: Harness) =>
  h.events.filter((e) => e.name === 'mail:new').flatMap((e) => (e.payload as { messages: MailSummary[] }).messages.map((m) => m.subject));
const mail = (from: string, subject: string, text = 'Добрый день.', to?: string) => rawMessage({ from, subject, text, to });

describe('mail rules', () => {
  it('files new INBOX mail by the rules, here at once and on the server; leaves the first download alone', async () => {
    const u = users[0];
    // Already there when the account is added: the first download, not processed.
    dc.seedMaildir(u.user, [mail('ЕИС <noreply@zakupki.gov.ru>', 'Старое извещение'), mail('Иван <ivan@stroy.ru>', 'Старый счёт')]);
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Тендеры');
    await other.logout();
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const tenders = await folderId(h, acc.id, 'Тендеры');
      const base = { accountId: acc.id, enabled: true };
      await save(h, { ...base, name: 'Тендеры', conditions: [{ field: 'from', op: 'domain', value: '@zakupki.gov.ru' }], actions: { moveTo: tenders, markRead: true }, stop: true });
      await save(h, { ...base, name: 'Счета', conditions: [{ field: 'subject', value: 'СЧЁТ' }], actions: { flag: true } });
      await save(h, {
        ...base,
        name: 'Реклама',
        match: 'any',
        conditions: [
          { field: 'subject', value: 'распродажа' },
          { field: 'body', value: 'отписаться' },
        ],
        actions: { delete: true },
      });
      await save(h, {
        ...base,
        name: 'Поставщик для бухгалтерии',
        match: 'all',
        conditions: [
          { field: 'from', value: 'поставщик' },
          { field: 'to', value: 'бухгалтерия' },
        ],
        actions: { markRead: true },
      });
      expect((await rulesOf(h, acc.id)).map((r) => [r.name, r.position, r.needsAttention, r.target?.path ?? null])).toEqual([
        ['Тендеры', 0, false, 'Тендеры'],
        ['Счета', 1, false, null],
        ['Реклама', 2, false, null],
        ['Поставщик для бухгалтерии', 3, false, null],
      ]);
      expect(opsLeft(h)).toBe(0);
      expect(subjects((await listFolder(h, inbox)).items)).toEqual(['Старое извещение', 'Старый счёт']);

      for (const m of [
        // Subdomain of the tender site; «Счёт» too, but «остановить обработку» keeps it unflagged.
        mail('ЕИС <robot@mail.zakupki.gov.ru>', 'Счёт по извещению 0373'),
        // Not the tender site, only a name ending the same.
        mail('Жулик <x@evilzakupki.gov.ru>', 'Извещение'),
        // «СЧЕТ» in capitals and with «е»: flagged, still news.
        mail('Иван <ivan@stroy.ru>', 'СЧЕТ №5 на оплату'),
        // ANY: the body's «ОТПИСАТЬСЯ» is enough.
        mail('Магазин <shop@promo.ru>', 'Новинки недели', 'Чтобы ОТПИСАТЬСЯ от рассылки, нажмите сюда.'),
        // ALL: the supplier writing to the accounts department, and to someone else.
        mail('ООО «Поставщик» <p@post.ru>', 'Акт сверки', 'Акт.', 'Бухгалтерия <buh@example.test>'),
        mail('ООО «Поставщик» <p@post.ru>', 'Коммерческое предложение', 'КП.', 'Снабжение <snab@example.test>'),
      ]) {
        await dc.deliver(u.user, m);
      }
      await waitFor(async () => (await listFolder(h, inbox)).total === 6 && opsLeft(h) === 0, 'the new mail filed and pushed', 20_000);

      const local = (await listFolder(h, inbox)).items;
      expect(local.map((m) => [m.subject, m.seen, m.flagged]).sort()).toEqual([
        ['Акт сверки', true, false],
        ['Извещение', false, false],
        ['Коммерческое предложение', false, false],
        ['СЧЕТ №5 на оплату', false, true],
        ['Старое извещение', false, false],
        ['Старый счёт', false, false],
      ]);
      // Announced: only what stays in INBOX unread. Filed away or read by a rule is not news.
      expect(announced(h).sort()).toEqual(['Извещение', 'Коммерческое предложение', 'СЧЕТ №5 на оплату']);
      const views = await folderViews(h, acc.id);
      expect(views.find((f) => f.id === inbox)!.unread).toBe(5);

      // On the server, as another client sees it.
      expect(await onServer(dc, u, 'Тендеры')).toEqual([{ subject: 'Счёт по извещению 0373', flags: ['\\Seen'] }]);
      expect(await onServer(dc, u, 'Trash')).toEqual([{ subject: 'Новинки недели', flags: [] }]);
      const serverInbox = await onServer(dc, u, 'INBOX');
      expect(serverInbox.find((m) => m.subject === 'Акт сверки')!.flags).toEqual(['\\Seen']);
      expect(serverInbox.find((m) => m.subject === 'СЧЕТ №5 на оплату')!.flags).toEqual(['\\Flagged']);
      expect(serverInbox).toHaveLength(6);
      // The target folder gets the moved mail from its own sync, read.
      await waitFor(async () => (await listFolder(h, tenders)).total === 1, 'the moved mail synced into «Тендеры»', 15_000);
      expect((await listFolder(h, tenders)).items.map((m) => [m.subject, m.seen])).toEqual([['Счёт по извещению 0373', true]]);
      // Nothing came back to INBOX, nothing was processed twice.
      expect((await listFolder(h, inbox)).total).toBe(6);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('a rule whose folder was deleted keeps its other actions, needs attention, and the sync goes on', async () => {
    const u = users[1];
    dc.seedMaildir(u.user, [mail('Кто-то <a@b.ru>', 'Начало')]);
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Проекты');
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const projects = await folderId(h, acc.id, 'Проекты');
      const rule = await save(h, { accountId: acc.id, name: 'Проекты', conditions: [{ field: 'subject', value: 'проект' }], actions: { moveTo: projects, markRead: true } });
      // Deleted by another client: the app does not know yet, so the first MOVE is refused.
      await other.mailboxDelete('Проекты');
      await dc.deliver(u.user, mail('Прораб <p@stroy.ru>', 'Проект моста'));
      await waitFor(async () => (await rulesOf(h, acc.id))[0].needsAttention, 'the folder found gone', 20_000);
      await waitFor(async () => (await listFolder(h, inbox)).items.some((m) => m.subject === 'Проект моста') && opsLeft(h) === 0, 'the refused move back in INBOX', 20_000);
      const lost = (await rulesOf(h, acc.id))[0];
      expect(lost).toMatchObject({ id: rule.id, needsAttention: true, target: null, targetPath: 'Проекты' });

      // Now the rule only marks read; everything else arrives as usual.
      await dc.deliver(u.user, mail('Прораб <p@stroy.ru>', 'Проект дороги'));
      await dc.deliver(u.user, mail('Кто-то <a@b.ru>', 'Обычное письмо'));
      await waitFor(async () => (await listFolder(h, inbox)).total === 4 && opsLeft(h) === 0, 'later mail synced', 20_000);
      expect((await listFolder(h, inbox)).items.map((m) => [m.subject, m.seen]).sort()).toEqual([
        ['Начало', false],
        ['Обычное письмо', false],
        ['Проект дороги', true],
        ['Проект моста', true],
      ]);
      expect(stateOf(h, acc.id)).toBe('synced');
      expect((await onServer(dc, u, 'INBOX')).filter((m) => m.flags.includes('\\Seen')).map((m) => m.subject).sort()).toEqual(['Проект дороги', 'Проект моста']);
      // Still editable (switched off) without picking a folder again.
      expect(await save(h, { id: rule.id, accountId: acc.id, enabled: false, name: 'Проекты', conditions: lost.conditions, actions: lost.actions })).toMatchObject({ enabled: false, needsAttention: true });
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
    }
  }, 60_000);

  it('«Применить сейчас» runs one rule over INBOX and counts; checks, order and deletion', async () => {
    const u = users[2];
    dc.seedMaildir(u.user, [
      ...Array.from({ length: 5 }, (_, i) => mail('Отдел <otdel@firm.ru>', `Отчёт за неделю ${i}`)),
      ...Array.from({ length: 3 }, (_, i) => mail('Другой <d@firm.ru>', `Разное ${i}`)),
    ]);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const off = await save(h, { accountId: acc.id, enabled: false, name: 'Отчёты', conditions: [{ field: 'subject', value: 'ОТЧЁТ' }], actions: { flag: true } });
      // Switched off: new mail passes untouched.
      await dc.deliver(u.user, mail('Отдел <otdel@firm.ru>', 'Отчёт за месяц'));
      await waitFor(async () => (await listFolder(h, inbox)).total === 9, 'the new mail', 15_000);
      expect((await listFolder(h, inbox)).items.some((m) => m.flagged)).toBe(false);

      expect(await h.mail.handle('mail:rules:apply', { id: off.id })).toEqual({ matched: 6, scanned: 9 });
      expect((await listFolder(h, inbox)).items.filter((m) => m.flagged)).toHaveLength(6);
      await waitFor(() => opsLeft(h) === 0, 'flags pushed', 15_000);
      expect((await onServer(dc, u, 'INBOX')).filter((m) => m.flags.includes('\\Flagged'))).toHaveLength(6);
      // Bounded: the newest `limit` of INBOX (list order), however many match among them.
      const newest = (await listFolder(h, inbox)).items.slice(0, 3).filter((m) => m.subject.startsWith('Отчёт')).length;
      expect(await h.mail.handle('mail:rules:apply', { id: off.id, limit: 3 })).toEqual({ matched: newest, scanned: 3 });

      // The contract refuses rules that cannot work, in Russian.
      await expect(save(h, { accountId: acc.id, name: 'x', conditions: [{ field: 'subject', value: 'a' }], actions: {} })).rejects.toThrow('Выберите хотя бы одно действие.');
      await expect(save(h, { accountId: acc.id, name: 'x', conditions: [{ field: 'subject', op: 'domain', value: 'a.ru' }], actions: { flag: true } })).rejects.toThrow('только для «От кого»');
      await expect(save(h, { accountId: acc.id, name: 'x', conditions: [], actions: { flag: true } })).rejects.toThrow('Добавьте хотя бы одно условие.');
      await expect(save(h, { accountId: acc.id, name: 'x', conditions: [{ field: 'subject', value: 'a' }], actions: { moveTo: 999_999 } })).rejects.toThrow('Папка для перемещения не найдена');

      const second = await save(h, { accountId: acc.id, name: 'Второе', conditions: [{ field: 'from', op: 'equals', value: 'd@firm.ru' }], actions: { markRead: true } });
      expect(await h.mail.handle('mail:rules:apply', { id: second.id })).toEqual({ matched: 3, scanned: 9 });
      const reordered = (await h.mail.handle('mail:rules:reorder', { accountId: acc.id, ids: [second.id, off.id] })) as MailRuleView[];
      expect(reordered.map((r) => r.name)).toEqual(['Второе', 'Отчёты']);
      await expect(h.mail.handle('mail:rules:reorder', { accountId: acc.id, ids: [second.id] })).rejects.toThrow('Список правил изменился.');
      await h.mail.handle('mail:rules:delete', { id: second.id });
      expect((await rulesOf(h, acc.id)).map((r) => r.name)).toEqual(['Отчёты']);
      await h.mail.handle('mail:accounts:delete', { id: acc.id });
      expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_rules').get()).toEqual({ n: 0 });
    } finally {
      await h.close();
    }
  }, 60_000);
});
