/** FTS5 search over synced mail, mails by address (contact timeline / call popup), threads. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderId, makeService, waitSynced, type Harness } from './helpers';
import { toFtsQuery } from '../../src-main/core/mail/search';
import type { MailSummary } from '../../src-shared/ipc/mail';

const erin = { user: 'erin@example.test', pass: 'erin' };
let dc: Dovecot;
let h: Harness;
let accountId: number;

const day = (d: number) => new Date(Date.UTC(2024, 4, d, 10));

beforeAll(async () => {
  dc = await startDovecot({ users: [erin] });
  dc.seedMaildir(erin.user, [
    rawMessage({ from: 'Иван Петров <ivan.petrov@mail.ru>', subject: 'Коммерческое ПРЕДЛОЖЕНИЕ на поставку', text: 'Направляем предложение по насосам.', date: day(1), messageId: '<a1@x>' }),
    rawMessage({ from: 'Иван Петров <ivan.petrov@mail.ru>', subject: 'Re: Коммерческое ПРЕДЛОЖЕНИЕ на поставку', text: 'Ещё одно уточнение по цене.', date: day(3), messageId: '<a2@x>', inReplyTo: '<a1@x>', references: '<a1@x>' }),
    rawMessage({ from: 'Мария <maria@yandex.ru>', to: 'erin@example.test, ivan.petrov@mail.ru', subject: 'Счёт на оплату', text: 'Во вложении счёт №42 от ООО «Асгард».', date: day(2), messageId: '<b1@x>' }),
    rawMessage({ from: 'robot@service.example', subject: 'Уведомление', html: '<p>Ваш заказ <b>отгружен</b> со склада</p>', text: '', date: day(4), messageId: '<c1@x>' }),
    rawMessage({ from: 'Tender Bot <tender@zakupki.example>', subject: 'Tender #2024-17 published', text: 'Deadline: June 1st. Pumps and valves.', date: day(5), messageId: '<d1@x>' }),
  ]);
  h = makeService();
  accountId = (await addAccount(h, dc, null, erin)).id;
  await waitSynced(h, accountId);
});
afterAll(async () => {
  await h?.close();
  await dc?.stop();
});

async function find(query: string, extra: object = {}): Promise<string[]> {
  const r = (await h.mail.handle('mail:messages:search', { query, ...extra })) as { items: MailSummary[] };
  return r.items.map((m) => m.subject);
}

describe('mail search', () => {
  it('builds safe FTS queries', () => {
    expect(toFtsQuery('ivan.petrov@mail.ru')).toBe('"ivan petrov mail ru"*');
    const dict = ['насос', 'насосная', 'насосов', 'петров'];
    const expand = (p: string) => dict.filter((w) => w.startsWith(p));
    expect(toFtsQuery('Насос петров@mail.ru', expand)).toBe('("насос" OR "насосная" OR "насосов") AND "петров mail ru"*');
    expect(toFtsQuery('насосн', expand)).toBe('"насосная"');
    expect(toFtsQuery('нет-такого', expand)).toBe('"нет такого"');
    expect(toFtsQuery('Café')).toBe('"cafe"*');
    expect(toFtsQuery('счёт  42')).toBe('"счет"* AND "42"*');
    expect(toFtsQuery('"*()^:-')).toBeNull();
    expect(toFtsQuery('NEAR(a b) OR c')).toBe('"near a" AND "b" AND "or"* AND "c"');
    expect(toFtsQuery('ещё')).toBe('"еще"*');
  });

  it('finds by words in any case, prefixes, ё/е, addresses, HTML-only text; newest first', async () => {
    expect(await find('предложение')).toEqual(['Re: Коммерческое ПРЕДЛОЖЕНИЕ на поставку', 'Коммерческое ПРЕДЛОЖЕНИЕ на поставку']);
    expect(await find('ПРЕДЛОЖ')).toHaveLength(2);
    expect(await find('еще уточнение')).toEqual(['Re: Коммерческое ПРЕДЛОЖЕНИЕ на поставку']);
    expect(await find('счет')).toEqual(['Счёт на оплату']);
    expect(await find('ivan.petrov@mail.ru')).toEqual([
      'Re: Коммерческое ПРЕДЛОЖЕНИЕ на поставку',
      'Счёт на оплату',
      'Коммерческое ПРЕДЛОЖЕНИЕ на поставку',
    ]);
    expect(await find('Петров')).toHaveLength(2);
    expect(await find('отгружен')).toEqual(['Уведомление']);
    expect(await find('pumps valves')).toEqual(['Tender #2024-17 published']);
    expect(await find('pumps насосам')).toEqual([]);
    expect(await find('"*(')).toEqual([]);
    expect(await find('асгард', { limit: 1 })).toEqual(['Счёт на оплату']);
  });

  it('filters by folder and account', async () => {
    const inbox = await folderId(h, accountId, 'INBOX');
    const sent = await folderId(h, accountId, 'Sent');
    expect(await find('предложение', { folderId: inbox })).toHaveLength(2);
    expect(await find('предложение', { folderId: sent })).toHaveLength(0);
    expect(await find('предложение', { accountId: accountId + 100 })).toHaveLength(0);
  });

  it('lists mails with an address (contact timeline, call popup) and threads replies', async () => {
    const byIvan = (await h.mail.handle('mail:messages:byAddress', { emails: ['Ivan.Petrov@mail.ru'], limit: 10 })) as MailSummary[];
    expect(byIvan.map((m) => m.subject)).toEqual([
      'Re: Коммерческое ПРЕДЛОЖЕНИЕ на поставку',
      'Счёт на оплату',
      'Коммерческое ПРЕДЛОЖЕНИЕ на поставку',
    ]);
    expect(h.mail.mailsWithAddress(['maria@yandex.ru'], 5).map((m) => m.from?.email)).toEqual(['maria@yandex.ru']);
    const [reply, , first] = byIvan;
    expect(reply.threadId).toBe(first.threadId);
    expect(byIvan[1].threadId).not.toBe(first.threadId);
  });
});
