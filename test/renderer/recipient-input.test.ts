/**
 * The compose form's recipient autocomplete, its pure parts: which address is being typed,
 * what a pick inserts (and that the send path's own parser reads it back), CRM contacts matched
 * by name (Cyrillic, ё = е) or address, and the merge: contacts by name first, one per address,
 * nothing already in the field.
 */
import { describe, expect, it } from 'vitest';
import { currentToken, formatRecipient, matchContacts, mergeSuggestions, withPicked } from '../../src-renderer/mail/RecipientInput';
import { parseRecipients } from '../../src-main/core/mail/compose';
import { makeContact } from './fixtures';

describe('recipient input', () => {
  it('works on the last address of the field', () => {
    expect(currentToken('ив')).toEqual({ head: '', token: 'ив' });
    expect(currentToken('a@b.ru, Иван <i@c.ru>;  пе')).toEqual({ head: 'a@b.ru, Иван <i@c.ru>;', token: 'пе' });
    expect(currentToken('a@b.ru, ')).toEqual({ head: 'a@b.ru,', token: '' });
    expect(withPicked('ив', { name: 'Иван Петров', email: 'ivan@mail.ru' })).toBe('Иван Петров <ivan@mail.ru>, ');
    expect(withPicked('a@b.ru, ив', { name: '', email: 'ivan@mail.ru' })).toBe('a@b.ru, ivan@mail.ru, ');
  });

  it('inserts what the send path parses back to the same address and name', () => {
    const cases: [string, string, string][] = [
      ['Иван Петров', 'ivan@mail.ru', 'Иван Петров <ivan@mail.ru>'],
      ['Петров, Иван', 'ivan@mail.ru', 'Петров Иван <ivan@mail.ru>'],
      ['"Ромашка" (офис)', 'office@romashka.ru', 'Ромашка офис <office@romashka.ru>'],
      ['И. Петров', 'ip@mail.ru', 'И. Петров <ip@mail.ru>'],
      ['ivan@mail.ru', 'ivan@mail.ru', 'ivan@mail.ru'],
      ['  ', 'ivan@mail.ru', 'ivan@mail.ru'],
      ['<>;,', 'x@y.ru', 'x@y.ru'],
    ];
    for (const [name, email, shown] of cases) {
      const text = formatRecipient(name, email);
      expect(text, name).toBe(shown);
      // Compose splits on commas and semicolons before the parser: the pick must survive both.
      const parts = withPicked('', { name, email }).split(/[,;\n]/).map((x) => x.trim()).filter(Boolean);
      expect(parts).toEqual([shown]);
      expect(parseRecipients(parts)).toEqual([{ name: shown.includes('<') ? shown.slice(0, shown.indexOf('<')).trim() : '', address: email }]);
    }
  });

  it('matches contacts by a word of the name (any case, ё as е) or by the address and its domain', () => {
    const contacts = [
      makeContact({ id: 1, name: 'Алексей Морозов', emails: ['Morozov@StroyInvest.ru'] }),
      makeContact({ id: 2, name: 'Семён Ивлев', emails: ['ivlev@zavod.ru', 'sales@zavod.ru'] }),
      makeContact({ id: 3, name: 'Елена Васильева', emails: [] }),
      makeContact({ id: 4, name: 'Mail Robot', emails: ['robot@morozov.example'] }),
    ];
    const emails = (q: string) => {
      const r = matchContacts(contacts, q);
      return { byName: r.byName.map((s) => s.email), byEmail: r.byEmail.map((s) => s.email) };
    };
    expect(emails('мор')).toEqual({ byName: ['morozov@stroyinvest.ru'], byEmail: [] });
    expect(emails('СЕМЕН')).toEqual({ byName: ['ivlev@zavod.ru', 'sales@zavod.ru'], byEmail: [] });
    expect(emails('семён ив')).toEqual({ byName: ['ivlev@zavod.ru', 'sales@zavod.ru'], byEmail: [] });
    expect(emails('mor')).toEqual({ byName: [], byEmail: ['morozov@stroyinvest.ru', 'robot@morozov.example'] });
    expect(emails('@zavod')).toEqual({ byName: [], byEmail: ['ivlev@zavod.ru', 'sales@zavod.ru'] });
    expect(emails('вас')).toEqual({ byName: [], byEmail: [] });
    expect(emails('розов')).toEqual({ byName: [], byEmail: [] });
    expect(emails(' ')).toEqual({ byName: [], byEmail: [] });
    expect(matchContacts(contacts, 'алекс').byName).toEqual([{ name: 'Алексей Морозов', email: 'morozov@stroyinvest.ru', contact: true }]);
  });

  it('puts contacts matching by name first, then the mail, then contacts by address; one per address, none already entered', () => {
    const contacts = {
      byName: [{ name: 'Алексей Морозов', email: 'morozov@stroyinvest.ru', contact: true }],
      byEmail: [{ name: 'Игорь Новиков', email: 'novikov@mail.ru', contact: true }],
    };
    const mail = [
      { name: 'Морозов А.', email: 'Morozov@stroyinvest.ru' },
      { name: 'Мороз', email: 'moroz@ice.ru' },
      { name: '', email: 'novikov@mail.ru' },
      { name: 'Уже в списке', email: 'already@there.ru' },
    ];
    expect(mergeSuggestions(contacts, mail, new Set(['already@there.ru']))).toEqual([
      { name: 'Алексей Морозов', email: 'morozov@stroyinvest.ru', contact: true },
      { name: 'Мороз', email: 'moroz@ice.ru', contact: false },
      // Known to the mail without a name, and a contact: the contact's name.
      { name: 'Игорь Новиков', email: 'novikov@mail.ru', contact: true },
    ]);
    expect(mergeSuggestions(contacts, mail, new Set(), 2).map((s) => s.email)).toEqual(['morozov@stroyinvest.ru', 'moroz@ice.ru']);
  });
});
