/** Russian plural form index: 0 one (1, 21, 101), 1 few (2–4, 22–24), 2 many (0, 5–20, 11–14, 25…). */
export function pluralIndex(n: number): 0 | 1 | 2 {
  const a = Math.abs(Math.trunc(n));
  const mod10 = a % 10;
  const mod100 = a % 100;
  if (mod10 === 1 && mod100 !== 11) return 0;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return 1;
  return 2;
}

/** A number and its word: withPlural(3, MISSED_CALLS) → "3 пропущенных звонка". */
export function withPlural(n: number, forms: readonly [string, string, string]): string {
  return `${n} ${forms[pluralIndex(n)]}`;
}

/** The words the tray and the sidebar count what waits in. */
export const MISSED_CALLS = ['пропущенный звонок', 'пропущенных звонка', 'пропущенных звонков'] as const;
/** Whom to call back: the badges count callers, not calls (see src-shared/missed.ts). */
export const MISSED_CALLERS = ['абоненту', 'абонентам', 'абонентам'] as const;
/** «Перезвонить 3 абонентам»: the tray's and the sidebar's words for the missed-calls badge. */
export const missedCallersLabel = (n: number): string => `Перезвонить ${withPlural(n, MISSED_CALLERS)}`;
export const UNREAD_LETTERS = ['непрочитанное письмо', 'непрочитанных письма', 'непрочитанных писем'] as const;
