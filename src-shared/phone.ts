import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Normalizes what Mango, CRM users and contacts write as a phone number into one form:
 * E.164 digits with a leading '+' for real numbers ("+79161234567"); extensions ("101")
 * and SIP URIs stay as they are (trimmed), because they name employees' devices, not numbers.
 */
export function normalizePhone(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const key = String(raw);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const out = normalizeUncached(key);
  // Every event and every popup normalizes the same few thousand numbers again: a bounded
  // memo saves libphonenumber's parse on the relay's hot path. Cleared whole when full.
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, out);
  return out;
}

const CACHE_MAX = 10_000;
const cache = new Map<string, string | null>();

/**
 * An extension after the number ("доб. 123", "вн. 12", "ext. 7", "(доп. 5)") names a desk behind
 * the company's line; calls come from the number itself, so contacts are matched without it.
 */
const EXTENSION = /[\s,;(]*(?:доб(?:авочный)?|доп|вн(?:утр(?:енний)?)?|ext(?:ension)?|x|#)\.?\s*:?\s*\d{1,6}\)?\s*$/i;

function normalizeUncached(raw: string): string | null {
  const s = raw.trim().replace(EXTENSION, '');
  if (!s) return null;
  if (/^sips?:/i.test(s)) return s.toLowerCase();
  const digits = s.replace(/\D/g, '');
  if (!digits) return null;
  // Short digit strings are internal extensions (Mango extensions are 2–5 digits, some PBXs 6).
  if (digits.length <= 6 && !s.startsWith('+')) return digits;
  let candidate = s;
  if (!s.startsWith('+')) {
    // The old Russian international prefix: "810 49 30 1234567" is +49 30 1234567.
    if (digits.length > 11 && digits.startsWith('810')) candidate = '+' + digits.slice(3);
    else if (digits.length === 11 && (digits[0] === '7' || digits[0] === '8')) candidate = '+7' + digits.slice(1);
    else if (digits.length === 10 && digits[0] === '9') candidate = '+7' + digits;
    else candidate = digits.length > 11 ? '+' + digits : digits;
  }
  const parsed = parsePhoneNumberFromString(candidate, 'RU');
  if (parsed && parsed.isPossible()) return parsed.number;
  // Not a plausible number anywhere: keep the digits so matching still works, never invent a '+'.
  return digits;
}

/** True when a normalized value is a real external number, not an extension or a SIP URI. */
export function isExternalNumber(normalized: string | null | undefined): boolean {
  return !!normalized && normalized.startsWith('+');
}

/** Mango wants E.164 without '+' in commands and stats filters (mango-api.md §8.5). */
export function toMangoNumber(raw: string): string {
  const n = normalizePhone(raw);
  if (!n) return raw.trim();
  return n.startsWith('+') ? n.slice(1) : n;
}

/** Display form used across the UI: "+7 (916) 123-45-67" for Russian numbers. */
export function formatPhone(raw: string | null | undefined): string {
  const n = normalizePhone(raw);
  if (!n) return raw ? String(raw) : '';
  const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(n);
  if (m) return `+7 (${m[1]}) ${m[2]}-${m[3]}-${m[4]}`;
  if (n.startsWith('+')) {
    const p = parsePhoneNumberFromString(n);
    return p ? p.formatInternational() : n;
  }
  return n;
}

/**
 * The extension written after a number ("доб. 215", "ext 7", "вн. 12"), or null. Calls come
 * from the number itself, so matching ignores it (normalizePhone); a contact keeps it to be
 * reached again at that desk.
 */
export function phoneExtension(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const m = EXTENSION.exec(String(raw).trim());
  return m ? m[0].replace(/\D/g, '') : null;
}

/**
 * A contact's phone as the directory stores it: normalizePhone's form plus its extension as
 * " доб. 215" ("+74951234567 доб. 215"). That suffix is what EXTENSION strips, so normalizePhone
 * of the stored value is still the number calls are matched on. Extensions and SIP URIs take none.
 */
export function normalizePhoneWithExt(raw: string | null | undefined): string | null {
  const n = normalizePhone(raw);
  if (!n || !n.startsWith('+')) return n;
  const ext = phoneExtension(raw);
  return ext ? `${n} доб. ${ext}` : n;
}

/** formatPhone, with the extension kept: "+7 (495) 123-45-67 доб. 215". */
export function formatPhoneWithExt(raw: string | null | undefined): string {
  const f = formatPhone(raw);
  const ext = isExternalNumber(normalizePhone(raw)) ? phoneExtension(raw) : null;
  return ext ? `${f} доб. ${ext}` : f;
}
