import { describe, expect, it } from 'vitest';
import { lastSeparator, splitAddresses } from '../../src-renderer/mail/addresses';
import { currentToken } from '../../src-renderer/mail/RecipientInput';
import { parseRecipients } from '../../src-main/core/mail/compose';

describe('recipients field splitting', () => {
  it('keeps a quoted name with a comma or semicolon in one recipient', () => {
    const field = '"Петров, Иван" <ivan@corp.ru>, anna@corp.ru; "ООО \\"Ромашка\\"; снабжение" <buy@romashka.ru>\nboris@corp.ru';
    const parts = splitAddresses(field);
    expect(parts).toEqual(['"Петров, Иван" <ivan@corp.ru>', 'anna@corp.ru', '"ООО \\"Ромашка\\"; снабжение" <buy@romashka.ru>', 'boris@corp.ru']);
    // What the core's parser makes of each part: one address, the name intact.
    expect(parseRecipients(parts)).toEqual([
      { name: 'Петров, Иван', address: 'ivan@corp.ru' },
      { name: '', address: 'anna@corp.ru' },
      { name: 'ООО "Ромашка"; снабжение', address: 'buy@romashka.ru' },
      { name: '', address: 'boris@corp.ru' },
    ]);
  });

  it('ignores separators inside <…>, drops empty parts', () => {
    expect(splitAddresses(' , a@x.ru,, <b,c@x.ru> ;')).toEqual(['a@x.ru', '<b,c@x.ru>']);
    expect(splitAddresses('')).toEqual([]);
  });

  it('finds the address being typed after the last real separator', () => {
    expect(lastSeparator('"Петров, Иван" <ivan@corp.ru>')).toBe(-1);
    expect(currentToken('"Петров, Иван" <ivan@corp.ru>, ан')).toEqual({ head: '"Петров, Иван" <ivan@corp.ru>,', token: 'ан' });
    expect(currentToken('"Петров, Ив')).toEqual({ head: '', token: '"Петров, Ив' });
  });
});
