import { describe, expect, it } from 'vitest';
import {
  callNumber,
  countCalls,
  countLabel,
  formatClock,
  formatDate,
  formatDay,
  formatListDate,
  formatDuration,
  formatPercent,
  formatPhone,
  formatRubles,
  fromDateInput,
  plural,
  pluralize,
  splitPhones,
  toDateInput,
} from '../../src-renderer/format';
import { PLURALS, S } from '../../src-renderer/strings';
import { makeCall } from './fixtures';
import { normalizePhone } from '../../src-shared/phone';

describe('Russian plurals', () => {
  it('picks one / few / many like a Russian speaker would', () => {
    const cases: [number, string][] = [
      [0, '0 звонков'],
      [1, '1 звонок'],
      [2, '2 звонка'],
      [3, '3 звонка'],
      [4, '4 звонка'],
      [5, '5 звонков'],
      [11, '11 звонков'],
      [12, '12 звонков'],
      [14, '14 звонков'],
      [21, '21 звонок'],
      [22, '22 звонка'],
      [25, '25 звонков'],
      [101, '101 звонок'],
      [111, '111 звонков'],
      [112, '112 звонков'],
      [1001, '1\u00a0001 звонок'],
    ];
    for (const [n, text] of cases) expect(countCalls(n).replace(/\s/g, ' ')).toBe(text.replace(/\s/g, ' '));
  });

  it('works for other words and negative numbers', () => {
    expect(plural(1, PLURALS.minute)).toBe('минута');
    expect(plural(3, PLURALS.minute)).toBe('минуты');
    expect(plural(7, PLURALS.minute)).toBe('минут');
    expect(plural(-2, PLURALS.employee)).toBe('сотрудника');
    expect(pluralize(5, PLURALS.employee)).toBe('5 сотрудников');
  });
});

describe('durations', () => {
  it('shows m:ss under an hour', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(600)).toBe('10:00');
    expect(formatDuration(3599)).toBe('59:59');
  });
  it('shows hours and minutes from an hour on', () => {
    expect(formatDuration(3600)).toBe('1 ч 00 мин');
    expect(formatDuration(3720)).toBe('1 ч 02 мин');
    expect(formatDuration(2 * 3600 + 15 * 60 + 59)).toBe('2 ч 15 мин');
  });
  it('never shows nonsense for bad input', () => {
    expect(formatDuration(-5)).toBe('0:00');
    expect(formatDuration(Number.NaN)).toBe('0:00');
    expect(formatDuration(64.6)).toBe('1:05');
  });
  it('player clock', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(65.9)).toBe('1:05');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});

describe('phones', () => {
  it('formats Russian numbers the same whatever way they were written', () => {
    for (const raw of ['+79161234567', '89161234567', '79161234567', '9161234567', '8 (916) 123-45-67']) {
      expect(formatPhone(raw)).toBe('+7 (916) 123-45-67');
    }
    expect(formatPhone('+74951112233')).toBe('+7 (495) 111-22-33');
  });
  it('reads a number written with an extension word or the old 810 prefix as the number itself', () => {
    for (const raw of ['8 (495) 765-43-21 доб. 123', '+7 495 765-43-21 доб 5', '8 495 765 43 21, вн. 12', '84957654321 ext. 7']) expect(normalizePhone(raw), raw).toBe('+74957654321');
    expect(normalizePhone('810 49 30 1234567')).toBe('+49301234567');
    expect(normalizePhone('8 (916) 123-45-67')).toBe('+79161234567');
  });
  it('keeps extensions and shows a hidden number in Russian', () => {
    expect(formatPhone('101')).toBe('101');
    expect(formatPhone(null)).toBe(S.calls.noNumber);
    expect(formatPhone('')).toBe('Номер скрыт');
  });
  it('formats foreign numbers internationally', () => {
    expect(formatPhone('+442071234567')).toMatch(/^\+44 20 7123 4567$/);
  });
  it('takes the external party of a call', () => {
    expect(callNumber(makeCall({ id: 1 }))).toBe('+79161234567');
    expect(callNumber(makeCall({ id: 2, clientNumber: null, direction: 'out', to: { number: '+74950000000', extension: null, line: null } }))).toBe('+74950000000');
    expect(callNumber(makeCall({ id: 3, clientNumber: null, direction: 'in', from: { number: null, extension: null } }))).toBe(null);
  });
});

describe('dates', () => {
  it('says Сегодня / Вчера / a date', () => {
    const now = new Date(2025, 2, 5, 15, 0);
    expect(formatDay(new Date(2025, 2, 5, 9, 0), now)).toBe('Сегодня');
    expect(formatDay(new Date(2025, 2, 4, 23, 59), now)).toBe('Вчера');
    expect(formatDay(new Date(2025, 2, 1, 12, 0), now)).toBe('01.03.2025');
    // Across a month boundary.
    expect(formatDay(new Date(2025, 1, 28, 12, 0), new Date(2025, 2, 1, 8, 0))).toBe('Вчера');
    expect(formatDate('garbage')).toBe('');
  });
  it('dates a mail list row: time today, no year this year, the year for older mail', () => {
    const now = new Date(2026, 10, 25, 15, 0);
    expect(formatListDate(new Date(2026, 10, 25, 9, 5), now)).toBe('09:05');
    expect(formatListDate(new Date(2026, 10, 24, 22, 43), now)).toBe('Вчера, 22:43');
    expect(formatListDate(new Date(2026, 10, 23, 22, 43), now)).toBe('23 нояб., 22:43');
    expect(formatListDate(new Date(2026, 4, 1, 8, 0), now)).toBe('1 мая, 08:00');
    expect(formatListDate(new Date(2025, 11, 31, 10, 0), now)).toBe('31.12.2025');
    expect(formatListDate('garbage', now)).toBe('');
  });
  it('round-trips date inputs in local time', () => {
    const d = new Date(2025, 0, 9);
    expect(toDateInput(d)).toBe('2025-01-09');
    expect(fromDateInput('2025-01-09')?.getTime()).toBe(d.getTime());
    expect(fromDateInput('09.01.2025')).toBeNull();
  });
  it('percent', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.25)).toBe('25%');
    expect(formatPercent(0.045).replace(',', '.')).toBe('4.5%');
  });

  it("counts History's calls: exact when all are loaded, else the relay's total, else what is loaded with '+'", () => {
    const t = (x: string) => x.replace(/\s/g, ' ');
    expect(t(countLabel(1000, true, { count: 2345, capped: false }))).toBe('2 345 звонков');
    expect(t(countLabel(1000, true, { count: 10_000, capped: true }))).toBe('более 10 000 звонков');
    expect(t(countLabel(10_012, false, { count: 10_000, capped: true }))).toBe('10 012 звонков');
    expect(t(countLabel(1000, true, null))).toBe('1 000 звонков+');
    expect(t(countLabel(0, true, null))).toBe('0 звонков');
    expect(t(countLabel(1, false, null))).toBe('1 звонок');
  });
});

describe('formatRubles', () => {
  it('writes the Mango balance in rubles, as Russians do', () => {
    expect(formatRubles(15230.5).replace(/\s/g, ' ')).toBe('15 230,50 ₽');
    expect(formatRubles(0).replace(/\s/g, ' ')).toBe('0,00 ₽');
  });
});

describe('phones in running text', () => {
  it('cuts a text into its numbers and the rest, losing nothing', () => {
    const text = 'Напоминание убрано: +7 (916) 123-45-67, звонил 8 800 555-35-35; доб. 101';
    const parts = splitPhones(text);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts.filter((p) => p.phone).map((p) => p.text)).toEqual(['+7 (916) 123-45-67', '8 800 555-35-35']);
    expect(splitPhones('Импорт завершён: добавлено 12, обновлено 3')).toEqual([{ text: 'Импорт завершён: добавлено 12, обновлено 3', phone: false }]);
  });
});
