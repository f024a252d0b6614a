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
  // HTML-only mails get their search text from htmlToSearchText (much cheaper than html-to-text).
  skipHtmlToText: true,
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
  /** Transfer encoding and charset of the text parts, by part id. */
  encodings: Record<string, { encoding: string; charset: string }>;
}

/** Walks BODYSTRUCTURE: which parts hold the text and HTML, which are attachments. */
export function describeStructure(root: MessageStructureObject): StructureParts {
  const res: StructureParts = { textPart: null, htmlPart: null, attachments: [], encodings: {} };
  const walk = (node: MessageStructureObject, inRelated: boolean) => {
    const type = (node.type ?? '').toLowerCase();
    // An attached message is one attachment, not a source of this message's text.
    if (node.childNodes?.length && type !== 'message/rfc822') {
      for (const c of node.childNodes) walk(c, inRelated || type === 'multipart/related');
      return;
    }
    const part = node.part ?? '1';
    const disp = (node.disposition ?? '').toLowerCase();
    const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
    const isAttachment = disp === 'attachment' || Boolean(filename) || !(type === 'text/plain' || type === 'text/html');
    if (!isAttachment) {
      const enc = { encoding: (node.encoding ?? '7bit').toLowerCase(), charset: (node.parameters?.charset ?? 'utf-8').toLowerCase() };
      if (type === 'text/plain' && !res.textPart) {
        res.textPart = part;
        res.encodings[part] = enc;
      } else if (type === 'text/html' && !res.htmlPart) {
        res.htmlPart = part;
        res.encodings[part] = enc;
      }
      return;
    }
    const cid = node.id ? node.id.replace(/^<|>$/g, '') : null;
    res.attachments.push({
      filename: filename || defaultName(type),
      contentType: type || 'application/octet-stream',
      // Encoded size: base64 is 4/3 of the decoded bytes plus CRLF after every 76 characters.
      size: node.encoding?.toLowerCase() === 'base64' ? Math.floor((node.size ?? 0) * 0.75 * (76 / 78)) : (node.size ?? 0),
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

const LATIN_ACCENTED = /[\u00C0-\u024F\u1E00-\u1EFF]/g;

/**
 * The tokens FTS5's unicode61 tokenizer (remove_diacritics 2) makes of a text: runs of letters
 * and digits, lower-cased, Latin diacritics removed. Used for the term dictionary and queries.
 */
export function searchTokens(s: string, folded = false): string[] {
  const text = (folded ? s : foldForSearch(s)).toLowerCase();
  const out: string[] = [];
  let start = -1;
  let slow = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    let tok: boolean;
    if (c < 128) tok = (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
    else if (c >= 0x430 && c <= 0x44f) tok = true;
    else {
      // Anything else (accented Latin, other scripts, surrogates): ask Unicode.
      tok = OTHER_TOKEN_CHAR.test(text[i]) || (c >= 0xd800 && c <= 0xdfff);
      if (tok) slow = true;
    }
    if (tok) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(text.slice(start, i));
      start = -1;
    }
  }
  if (!slow) return out;
  // Rare path: exact unicode61 rules for tokens with non-Cyrillic, non-ASCII letters.
  return (text.match(TOKEN) ?? []).map((t) => t.replace(LATIN_ACCENTED, (c) => c.normalize('NFD').replace(/\p{M}/gu, '')));
}
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
const OTHER_TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;

/** Removes a Content-Transfer-Encoding (when the server did not already, as with BINARY). */
export function decodeTransfer(buf: Buffer, encoding: string): Buffer {
  const enc = encoding.toLowerCase();
  if (enc === 'base64') return Buffer.from(buf.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') return decodeQuotedPrintable(buf);
  return buf;
}

export function decodeQuotedPrintable(buf: Buffer): Buffer {
  const out = Buffer.alloc(buf.length);
  let o = 0;
  const hex = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 61) {
      out[o++] = c;
      continue;
    }
    // "=\r\n" or "=\n": soft line break.
    if (buf[i + 1] === 13 && buf[i + 2] === 10) {
      i += 2;
      continue;
    }
    if (buf[i + 1] === 10) {
      i += 1;
      continue;
    }
    const h = hex(buf[i + 1] ?? -1);
    const l = hex(buf[i + 2] ?? -1);
    if (h >= 0 && l >= 0) {
      out[o++] = h * 16 + l;
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

const CHARSET_ALIASES: Record<string, string> = {
  utf8: 'utf-8',
  'us-ascii': 'utf-8',
  ascii: 'utf-8',
  cp1251: 'windows-1251',
  'win-1251': 'windows-1251',
  'x-cp1251': 'windows-1251',
  cp866: 'ibm866',
  'koi8r': 'koi8-r',
};
const decoders = new Map<string, TextDecoder>();

/** Bytes of a text part in its declared charset → string (UTF-8 when unknown). */
export function decodeCharset(buf: Buffer, charset: string): string {
  const cs = CHARSET_ALIASES[charset.toLowerCase()] ?? charset.toLowerCase();
  let d = decoders.get(cs);
  if (!d) {
    try {
      d = new TextDecoder(cs);
    } catch {
      d = decoders.get('utf-8') ?? new TextDecoder('utf-8');
    }
    decoders.set(cs, d);
  }
  return d.decode(buf);
}

/** The text of a body part as fetched: transfer encoding removed unless the server did (BINARY). */
export function partText(buf: Buffer | undefined, enc: { encoding: string; charset: string } | undefined, alreadyDecoded: boolean): string {
  if (!buf) return '';
  const raw = alreadyDecoded ? buf : decodeTransfer(buf, enc?.encoding ?? '7bit');
  return decodeCharset(raw, enc?.charset ?? 'utf-8').replace(/\r\n/g, '\n');
}
