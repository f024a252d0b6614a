/** The new-mail notification's text and target, shared by the Electron shell and the browser. */
import { describe, expect, it } from 'vitest';
import { mailNotice } from '../../src-shared/mail-notice';
import type { MailSummary } from '../../src-shared/ipc/mail';

let nextId = 100;
function mail(over: Partial<MailSummary> = {}): MailSummary {
  return {
    id: nextId++,
    accountId: 1,
    folderId: 7,
    threadId: null,
    subject: 'Смета по объекту 7',
    snippet: 'Добрый день! Во вложении смета.',
    from: { name: 'Алексей Морозов', email: 'morozov@stroyinvest.ru' },
    to: [],
    date: '2026-11-25T09:00:00.000Z',
    seen: false,
    flagged: false,
    answered: false,
    hasAttachments: false,
    size: 2048,
    ...over,
  };
}

describe('mailNotice', () => {
  it('names the sender and subject of one new message and opens it', () => {
    const m = mail();
    expect(mailNotice(1, [m])).toEqual({
      title: 'Новое письмо от Алексей Морозов',
      body: 'Смета по объекту 7\nДобрый день! Во вложении смета.',
      route: `#/mail/f/7/m/${m.id}`,
      tag: 'mail-1',
    });
    expect(mailNotice(2, [mail({ from: { name: '', email: 'info@zavod.ru' }, subject: ' ', snippet: '' })])).toMatchObject({ title: 'Новое письмо от info@zavod.ru', body: '(без темы)' });
  });

  it('sums up several in one notice, newest first, and skips mail already read elsewhere', () => {
    const list = [mail({ subject: 'Первое' }), mail({ subject: 'Второе', seen: true }), mail({ subject: 'Третье' }), mail({ subject: 'Четвёртое' }), mail({ subject: 'Пятое' }), mail({ subject: 'Шестое' })];
    const n = mailNotice(1, list)!;
    expect(n.title).toBe('5 новых писем');
    expect(n.body).toBe(['Алексей Морозов: Шестое', 'Алексей Морозов: Пятое', 'Алексей Морозов: Четвёртое', 'и ещё 2'].join('\n'));
    expect(n.route).toBe('#/mail/f/7');
    expect(mailNotice(1, list.slice(0, 3))!.title).toBe('2 новых письма');
    expect(mailNotice(1, [mail({ seen: true })])).toBeNull();
    expect(mailNotice(1, [])).toBeNull();
  });
});
