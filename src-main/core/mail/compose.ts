/**
 * Composing: reply / reply-all / forward pre-filled from the original, threading headers
 * (In-Reply-To, References), and the MIME built once with a fixed Message-ID so every retry
 * of the outbox sends the very same message.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import addressparser from 'nodemailer/lib/addressparser';
import type { MailAddress, MailComposeMode, MailComposePrefill, MailAttachmentView } from '../../../src-shared/ipc/mail';
import { MailError } from './errors-ru';
import { normalizeEmail } from './parse';
import type { MessageRow } from './store';
import { signatureBlock } from '../../../src-shared/mail-signature';

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface OutgoingMessage {
  from: MailAddress;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html?: string;
  attachments: OutgoingAttachment[];
  inReplyTo?: string | null;
  references?: string[];
  /** Extra headers (e.g. the test-mail marker). */
  headers?: Record<string, string>;
}

export interface BuiltMessage {
  raw: Buffer;
  messageId: string;
  envelope: { from: string; to: string[] };
}

/** Validates and normalizes recipients typed by the user («Имя <a@b.ru>», «a@b.ru; c@d.ru»). */
export function parseRecipients(list: string[]): { name: string; address: string }[] {
  const out: { name: string; address: string }[] = [];
  for (const item of list) {
    if (!item.trim()) continue;
    // addressparser splits on ',' and ';' itself, and leaves them alone inside a quoted name.
    const parsed = addressparser(item, { flatten: true });
    if (!parsed.some((a) => a.address)) {
      throw new MailError('mail-bad-address', `Неверный адрес получателя: «${item.trim()}».`, 'Адрес должен выглядеть как name@example.ru.');
    }
    for (const a of parsed) {
      const address = (a.address ?? '').trim();
      if (!address) continue;
      if (!/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(address) && !/^[^\s@]+@localhost$/.test(address)) {
        throw new MailError('mail-bad-address', `Неверный адрес получателя: «${address}».`, 'Адрес должен выглядеть как name@example.ru.');
      }
      out.push({ name: a.name ?? '', address });
    }
  }
  return out;
}

export function newMessageId(fromEmail: string): string {
  const domain = fromEmail.split('@')[1] || 'asgard-phone.local';
  return `<${Date.now().toString(36)}.${randomBytes(10).toString('hex')}@${domain}>`;
}

export async function buildMime(m: OutgoingMessage): Promise<BuiltMessage> {
  const to = parseRecipients(m.to);
  const cc = parseRecipients(m.cc);
  const bcc = parseRecipients(m.bcc);
  if (!to.length && !cc.length && !bcc.length) {
    throw new MailError('mail-no-recipients', 'Укажите хотя бы одного получателя.');
  }
  return compile(m, { to, cc, bcc }, newMessageId(m.from.email));
}

/** A draft's own Message-ID: every copy of the draft on the server carries the same one. */
export function newDraftMessageId(fromEmail: string): string {
  return newMessageId(fromEmail).replace(/^</, '<draft.');
}

/**
 * A draft as the copy put into the mailbox's «Черновики»: the same MIME as sending, but
 * unfinished is fine — no recipients yet, and an address still being typed is left out (the
 * local draft keeps it) rather than refusing the whole copy.
 */
export async function buildDraftMime(m: OutgoingMessage, messageId: string): Promise<Buffer> {
  const lenient = (list: string[]) =>
    list.flatMap((item) => {
      try {
        return parseRecipients([item]);
      } catch {
        return [];
      }
    });
  // Bcc stays in a draft's header, so a phone or webmail finishing it still has it.
  return (await compile(m, { to: lenient(m.to), cc: lenient(m.cc), bcc: lenient(m.bcc) }, messageId, true)).raw;
}

type Parsed = ReturnType<typeof parseRecipients>;

async function compile(m: OutgoingMessage, r: { to: Parsed; cc: Parsed; bcc: Parsed }, messageId: string, keepBcc = false): Promise<BuiltMessage> {
  const { to, cc, bcc } = r;
  const composer = new MailComposer({
    from: { name: m.from.name, address: m.from.email },
    to,
    cc,
    bcc,
    subject: m.subject,
    text: m.text,
    html: m.html,
    attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    messageId,
    inReplyTo: m.inReplyTo ?? undefined,
    references: m.references?.length ? m.references.join(' ') : undefined,
    headers: { 'X-Mailer': 'ASGARD Phone', ...(m.headers ?? {}) },
    date: new Date(),
  });
  const node = composer.compile();
  node.keepBcc = keepBcc;
  const envelope = node.getEnvelope();
  const raw = await node.build();
  return { raw, messageId, envelope: { from: envelope.from || m.from.email, to: envelope.to } };
}

/**
 * The same message with its Date header set to `d` (a scheduled mail is dated when it goes out).
 * Only the header block is touched; headers are ASCII (RFC 2047), so latin1 keeps every byte.
 */
export function restampDate(raw: Buffer, d: Date): Buffer {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.length;
  const head = raw.subarray(0, end).toString('latin1');
  const stamp = `Date: ${d.toUTCString().replace(/GMT$/, '+0000')}`;
  const re = /^Date:[^\r\n]*(\r\n[ \t][^\r\n]*)*/im;
  const next = re.test(head) ? head.replace(re, stamp) : `${stamp}\r\n${head}`;
  return Buffer.concat([Buffer.from(next, 'latin1'), raw.subarray(end)]);
}

const RE = /^\s*((re|на|ответ)\s*(\[\d+\])?\s*:\s*)+/i;
const FWD = /^\s*((fwd?|пересл|переслано)\s*:\s*)+/i;

export function replySubject(s: string): string {
  return `Re: ${s.replace(RE, '')}`.trim();
}

export function forwardSubject(s: string): string {
  return `Fwd: ${s.replace(FWD, '')}`.trim();
}

/** «Имя <адрес>»; a name with separators or specials is quoted (RFC 5322), so «Петров, Иван» stays one recipient. */
export function fmtAddr(a: MailAddress): string {
  if (!a.name) return a.email;
  const name = /[,;<>"()[\]:@\\]/.test(a.name) ? `"${a.name.replace(/(["\\])/g, '\\$1')}"` : a.name;
  return `${name} <${a.email}>`;
}

function fmtDate(ms: number): string {
  return new Date(ms).toLocaleString('ru-RU', { dateStyle: 'long', timeStyle: 'short' });
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`))
    .join('\n');
}

/** Threading headers of an answer: In-Reply-To the original, References its chain plus it. */
export function threadingHeaders(src: Pick<MessageRow, 'message_id' | 'refs' | 'in_reply_to'>): { inReplyTo: string | null; references: string[] } {
  const chain = src.refs ? src.refs.split(/\s+/).filter(Boolean) : src.in_reply_to ? [src.in_reply_to] : [];
  if (src.message_id) chain.push(src.message_id);
  // Long chains are trimmed from the middle, keeping the root (RFC 5322 §3.6.4 practice).
  const refs = chain.length > 20 ? [chain[0], ...chain.slice(-19)] : chain;
  return { inReplyTo: src.message_id, references: [...new Set(refs)] };
}

/** In-Reply-To and References of a letter written in `mode` from `src`: a reply answers it, a forward only keeps its thread. */
export function replyHeaders(mode: MailComposeMode, src: Pick<MessageRow, 'message_id' | 'refs' | 'in_reply_to'> | null): { inReplyTo: string | null; references: string[] } {
  const threading = src ? threadingHeaders(src) : { inReplyTo: null, references: [] };
  return { inReplyTo: mode === 'reply' || mode === 'replyAll' ? threading.inReplyTo : null, references: mode === 'new' ? [] : threading.references };
}

export function prefill(
  mode: MailComposeMode,
  accountId: number,
  selfEmail: string,
  src: MessageRow | null,
  srcAttachments: MailAttachmentView[],
  signature = '',
): MailComposePrefill {
  // The user writes above the signature, which stays above any quote (answer on top).
  const sig = signatureBlock(signature);
  const base: MailComposePrefill = { accountId, mode, sourceMessageId: src?.id ?? null, to: [], cc: [], subject: '', text: sig ? `\n\n${sig}` : '', sourceAttachments: [] };
  if (!src || mode === 'new') return base;
  const from: MailAddress | null = src.from_email ? { name: src.from_name, email: src.from_email } : null;
  const replyTo = JSON.parse(src.reply_to_json) as MailAddress[];
  const to = JSON.parse(src.to_json) as MailAddress[];
  const cc = JSON.parse(src.cc_json) as MailAddress[];
  const me = normalizeEmail(selfEmail);
  const header = `${fmtDate(src.date)}, ${from ? fmtAddr(from) : 'неизвестный отправитель'} пишет:`;

  if (mode === 'reply' || mode === 'replyAll') {
    // Answering one's own sent mail goes to its recipients, not back to oneself.
    const fromSelf = from?.email === me;
    const primary = fromSelf ? to : replyTo.length ? replyTo : from ? [from] : [];
    const seen = new Set<string>();
    const take = (list: MailAddress[]) =>
      list.filter((a) => {
        const e = normalizeEmail(a.email);
        if (!e || seen.has(e) || (e === me && !fromSelf)) return false;
        seen.add(e);
        return true;
      });
    const toList = take(primary);
    const ccList = mode === 'replyAll' ? take([...(fromSelf ? [] : to), ...cc].filter((a) => normalizeEmail(a.email) !== me)) : [];
    return {
      ...base,
      to: toList.map(fmtAddr),
      cc: ccList.map(fmtAddr),
      subject: replySubject(src.subject),
      text: `\n\n${sig ? sig + '\n\n' : ''}${header}\n${quote(src.text)}\n`,
    };
  }

  const lines = [
    '',
    '',
    ...(sig ? [sig, ''] : []),
    '-------- Пересылаемое сообщение --------',
    `Тема: ${src.subject}`,
    `Дата: ${fmtDate(src.date)}`,
    `От: ${from ? fmtAddr(from) : ''}`,
    `Кому: ${to.map(fmtAddr).join(', ')}`,
    ...(cc.length ? [`Копия: ${cc.map(fmtAddr).join(', ')}`] : []),
    '',
    src.text,
  ];
  return {
    ...base,
    subject: forwardSubject(src.subject),
    text: lines.join('\n'),
    sourceAttachments: srcAttachments.filter((a) => !a.inline),
  };
}
