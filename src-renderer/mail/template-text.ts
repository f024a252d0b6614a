/**
 * «Шаблоны писем» in the compose form, as pure functions: placeholders filled in, the text put
 * where the user writes (above the signature), the signature left out when a letter is saved as
 * a template. The signature block starts at the RFC 3676 "-- " line (src-shared/mail-signature.ts).
 */
import { signatureBlock } from '../../src-shared/mail-signature';
import { splitAddresses } from './addresses';

export interface PlaceholderValues {
  /** The first recipient's display name ('' when the address has none). */
  recipientName: string;
  /** The sending account's display name. */
  myName: string;
  date: Date;
}

/** DD.MM.YYYY, local time. */
export function formatDateDMY(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getDate())}.${p(d.getMonth() + 1)}.${d.getFullYear()}`;
}

// Forgiving of how people type them: «{Имя}», «{ дата }», «{мое имя}». Others stay as written.
const PLACEHOLDER = /\{\s*(имя|дата|мо[её][_ ]имя)\s*\}/giu;

export function fillPlaceholders(text: string, v: PlaceholderValues): string {
  return text.replace(PLACEHOLDER, (_, key: string) => {
    const k = key.toLowerCase();
    if (k === 'имя') return v.recipientName;
    if (k === 'дата') return formatDateDMY(v.date);
    return v.myName;
  });
}

/**
 * The display name of the first recipient in a «Кому» field: «Алексей Морозов <a@b.ru>» →
 * «Алексей Морозов», «"Петров, Иван" <i@x.ru>» → «Петров, Иван», a bare address → ''.
 */
export function firstRecipientName(field: string): string {
  const first = splitAddresses(field)[0] ?? '';
  const lt = first.lastIndexOf('<');
  if (lt < 0) return '';
  let name = first.slice(0, lt).trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  name = name.trim();
  // «a@b.ru <a@b.ru>»: an address standing in for a name is no name.
  return name.includes('@') ? '' : name;
}

/** Where the signature block starts (its "-- " line), or -1. */
export function signatureStart(text: string): number {
  const m = /(^|\n)-- (\n|$)/.exec(text);
  return m ? m.index + m[1].length : -1;
}

/** The letter's own text for a template: without the signature (and what follows it: a quote). */
export function withoutSignature(text: string, signature: string): string {
  const at = signatureBlock(signature) ? signatureStart(text) : -1;
  const own = at >= 0 ? text.slice(0, at) : text;
  return own.replace(/^([ \t]*\n)+/, '').replace(/\s+$/, '');
}

/**
 * The compose text with a template's (filled) text inserted. `cursor`: where the user left the
 * caret in the text (null: never placed — the top, where an answer is written). With a signature
 * (the account has one and its "-- " line is in the text), the insertion goes above it; when
 * nothing is written above it yet, the template takes that place. Returns the new text and the
 * caret after the inserted text.
 */
export function insertTemplateText(body: string, cursor: number | null, insert: string, signature: string): { text: string; cursor: number } {
  const sigAt = signatureBlock(signature) ? signatureStart(body) : -1;
  const head = sigAt >= 0 ? body.slice(0, sigAt) : body;
  const tail = sigAt >= 0 ? body.slice(sigAt) : '';
  if (!head.trim()) {
    // Empty body (or only the signature, or a reply's quote under it): replaced.
    return { text: tail ? `${insert}\n\n${tail}` : insert, cursor: insert.length };
  }
  if (cursor === null) {
    const sep = /^\s*\n/.test(head) ? '' : '\n\n';
    return { text: insert + sep + body, cursor: insert.length };
  }
  if (tail && cursor > head.length) {
    // In the signature or the quote under it: after the written text instead, set apart by a
    // blank line as the signature is.
    const before = head.replace(/\s+$/, '');
    return { text: `${before}\n\n${insert}\n\n${tail}`, cursor: before.length + 2 + insert.length };
  }
  const at = Math.min(Math.max(0, cursor), head.length);
  // Right at the "-- " line: kept on a line of its own, or the signature would stop being one.
  const glue = tail && at === head.length ? '\n\n' : '';
  return { text: head.slice(0, at) + insert + glue + head.slice(at) + tail, cursor: at + insert.length };
}

/**
 * What choosing a template does to the compose form: its text inserted (see `insertTemplateText`),
 * its subject set only when the subject is empty (a reply keeps «Re: …»), placeholders filled.
 */
export function applyTemplate(
  form: { text: string; subject: string; cursor: number | null; to: string; signature: string; myName: string; now?: Date },
  template: { text: string; subject: string },
): { text: string; subject: string; cursor: number } {
  const values: PlaceholderValues = { recipientName: firstRecipientName(form.to), myName: form.myName, date: form.now ?? new Date() };
  const r = insertTemplateText(form.text, form.cursor, fillPlaceholders(template.text, values), form.signature);
  const subject = !form.subject.trim() && template.subject.trim() ? fillPlaceholders(template.subject, values) : form.subject;
  return { text: r.text, subject, cursor: r.cursor };
}
