/**
 * MIME → the record we store: envelope, threading ids, text, HTML (untrusted, sanitized in the
 * renderer), attachments. Small messages are parsed whole with mailparser; big ones are described
 * from IMAP ENVELOPE + BODYSTRUCTURE and only their text parts are downloaded.
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { MessageEnvelopeObject, MessageStructureObject, MessageAddressObject } from 'imapflow';
import type { MailAddress } from '../../../src-shared/ipc/mail';

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
  /** IMAP body part, for fetching on demand when `content` is null. */
  part: string | null;
  content: Buffer | null;
}

export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  replyTo: MailAddress[];
  /** Date header, ms; null when missing or unparsable. */
  date: number | null;
  text: string;
  html: string | null;
  attachments: ParsedAttachment[];
  /** Body only partly stored (big message: attachments fetched on demand). */
  partial: boolean;
}

const PARSER_OPTIONS = {
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  maxHtmlLengthToParse: 2 * 1024 * 1024,
} as const;

export function normalizeEmail(s: string | undefined | null): string {
  return (s ?? '').trim().toLowerCase();
}

function addrList(a: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!a) return [];
  const out: MailAddress[] = [];
  const walk = (vals: { address?: string; name?: string; group?: unknown[] }[]) => {
    for (const v of vals) {
      if (Array.isArray(v.group)) walk(v.group as typeof vals);
      else if (v.address) out.push({ name: (v.name ?? '').trim(), email: normalizeEmail(v.address) });
    }
  };
  for (const obj of Array.isArray(a) ? a : [a]) walk(obj.value);
  return out;
}

/** `<a@b>` ids from a header value, in order, de-duplicated. */
export function messageIds(v: string | string[] | undefined | null): string[] {
  if (!v) return [];
  const joined = Array.isArray(v) ? v.join(' ') : v;
  const found = joined.match(/<[^<>\s]+>/g) ?? [];
  const out: string[] = [];
  for (const id of found) if (!out.includes(id)) out.push(id);
  if (!out.length && joined.trim() && !/\s/.test(joined.trim())) out.push(`<${joined.trim().replace(/^<|>$/g, '')}>`);
  return out;
}

function firstId(v: string | string[] | undefined | null): string | null {
  return messageIds(v)[0] ?? null;
}

export async function parseSource(source: Buffer): Promise<ParsedMessage> {
  const m: ParsedMail = await simpleParser(source, PARSER_OPTIONS);
  const attachments: ParsedAttachment[] = m.attachments.map((a) => {
    const cid = a.contentId ? a.contentId.replace(/^<|>$/g, '') : null;
    const inline = Boolean(cid && a.related) || (a.contentDisposition === 'inline' && Boolean(cid));
    return {
      filename: a.filename || defaultName(a.contentType),
      contentType: a.contentType || 'application/octet-stream',
      size: a.size ?? a.content.length,
      contentId: cid,
      inline,
      part: null,
      content: a.content,
    };
  });
  const date = m.date instanceof Date && !Number.isNaN(m.date.getTime()) ? m.date.getTime() : null;
  return {
    messageId: firstId(m.messageId),
    inReplyTo: firstId(m.inReplyTo),
    references: messageIds(m.references),
    subject: m.subject ?? '',
    from: addrList(m.from)[0] ?? null,
    to: addrList(m.to),
    cc: addrList(m.cc),
    bcc: addrList(m.bcc),
    replyTo: addrList(m.replyTo),
    date,
    text: (m.text ?? '').replace(/\r\n/g, '\n'),
    html: typeof m.html === 'string' ? m.html : null,
    attachments,
    partial: false,
  };
}

function defaultName(contentType: string | undefined): string {
  const ct = (contentType ?? '').toLowerCase();
  if (ct === 'message/rfc822') return 'message.eml';
  if (ct.startsWith('image/')) return `image.${ct.slice(6).replace(/[^a-z0-9]/g, '') || 'bin'}`;
  if (ct === 'text/calendar') return 'invite.ics';
  return 'attachment.bin';
}

function envAddrs(list: MessageAddressObject[] | undefined): MailAddress[] {
  return (list ?? []).filter((a) => a.address).map((a) => ({ name: (a.name ?? '').trim(), email: normalizeEmail(a.address) }));
}

export interface StructureParts {
  textPart: string | null;
  htmlPart: string | null;
  attachments: ParsedAttachment[];
}

/** Walks BODYSTRUCTURE: which parts hold the text and HTML, which are attachments. */
export function describeStructure(root: MessageStructureObject): StructureParts {
  const res: StructureParts = { textPart: null, htmlPart: null, attachments: [] };
  const walk = (node: MessageStructureObject, inRelated: boolean) => {
    const type = (node.type ?? '').toLowerCase();
    if (node.childNodes?.length) {
      for (const c of node.childNodes) walk(c, inRelated || type === 'multipart/related');
      return;
    }
    const part = node.part ?? '1';
    const disp = (node.disposition ?? '').toLowerCase();
    const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
    const isAttachment = disp === 'attachment' || Boolean(filename) || !(type === 'text/plain' || type === 'text/html');
    if (!isAttachment) {
      if (type === 'text/plain' && !res.textPart) res.textPart = part;
      else if (type === 'text/html' && !res.htmlPart) res.htmlPart = part;
      return;
    }
    const cid = node.id ? node.id.replace(/^<|>$/g, '') : null;
    res.attachments.push({
      filename: filename || defaultName(type),
      contentType: type || 'application/octet-stream',
      // Encoded size; base64 is about 4/3 of the decoded size.
      size: node.encoding?.toLowerCase() === 'base64' ? Math.floor(((node.size ?? 0) * 3) / 4) : (node.size ?? 0),
      contentId: cid,
      inline: Boolean(cid && inRelated) || (disp === 'inline' && Boolean(cid)),
      part,
      content: null,
    });
  };
  walk(root, false);
  return res;
}

/** A big message from its envelope, structure and the text parts downloaded separately. */
export function fromEnvelope(
  env: MessageEnvelopeObject | undefined,
  references: string[],
  parts: StructureParts,
  text: string,
  html: string | null,
): ParsedMessage {
  const d = env?.date ? new Date(env.date) : null;
  return {
    messageId: firstId(env?.messageId),
    inReplyTo: firstId(env?.inReplyTo),
    references,
    subject: env?.subject ?? '',
    from: envAddrs(env?.from)[0] ?? null,
    to: envAddrs(env?.to),
    cc: envAddrs(env?.cc),
    bcc: envAddrs(env?.bcc),
    replyTo: envAddrs(env?.replyTo),
    date: d && !Number.isNaN(d.getTime()) ? d.getTime() : null,
    text,
    html,
    attachments: parts.attachments,
    partial: true,
  };
}

/** Plain text of HTML for the search index when a message has no text part (cheap, not for display). */
export function htmlToSearchText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n\n')
    .trim();
}

/** First meaningful characters of the text, skipping quoted lines. */
export function makeSnippet(text: string, max = 200): string {
  const lines = text.split('\n').filter((l) => !l.trimStart().startsWith('>'));
  return lines.join(' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

/** Folding applied to indexed text and queries alike: Russian «ё» is searched as «е» (FTS5's diacritic removal covers Latin only). */
export function foldForSearch(s: string): string {
  return s.replace(/ё/g, 'е').replace(/Ё/g, 'Е');
}
