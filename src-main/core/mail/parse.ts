/**
 * MIME → the record we store: envelope, threading ids, text, HTML (untrusted, sanitized in the
 * renderer), attachments. Small messages are parsed whole with mailparser; big ones are described
 * from IMAP ENVELOPE + BODYSTRUCTURE and only their text parts are downloaded.
 */
import iconv from 'iconv-lite';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { detectExtension } from 'nodemailer/lib/mime-funcs/mime-types';
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
  // With its type's extension the saved file opens in the right program.
  const ext = detectExtension(ct);
  return `attachment.${/^[a-z0-9]+$/.test(ext) ? ext : 'bin'}`;
}

function envAddrs(list: MessageAddressObject[] | undefined): MailAddress[] {
  return (list ?? []).filter((a) => a.address).map((a) => ({ name: (a.name ?? '').trim(), email: normalizeEmail(a.address) }));
}

export interface StructureParts {
  /** Parts holding the body, in order: more than one when a mail is split around attachments. */
  textParts: string[];
  htmlParts: string[];
  attachments: ParsedAttachment[];
  /** Transfer encoding and charset of the text parts, by part id. */
  encodings: Record<string, { encoding: string; charset: string }>;
}

/** Walks BODYSTRUCTURE: which parts hold the text and HTML, which are attachments. */
export function describeStructure(root: MessageStructureObject): StructureParts {
  const res: StructureParts = { textParts: [], htmlParts: [], attachments: [], encodings: {} };
  const walk = (node: MessageStructureObject, inRelated: boolean, parentType: string) => {
    const type = (node.type ?? '').toLowerCase();
    // An attached message is one attachment, not a source of this message's text.
    if (node.childNodes?.length && type !== 'message/rfc822') {
      for (const c of node.childNodes) walk(c, inRelated || type === 'multipart/related', type);
      return;
    }
    const part = node.part ?? '1';
    const disp = (node.disposition ?? '').toLowerCase();
    const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
    const isAttachment = disp === 'attachment' || Boolean(filename) || !(type === 'text/plain' || type === 'text/html');
    if (!isAttachment) {
      const enc = { encoding: (node.encoding ?? '7bit').toLowerCase(), charset: (node.parameters?.charset ?? 'utf-8').toLowerCase() };
      const list = type === 'text/plain' ? res.textParts : res.htmlParts;
      // Outside multipart/alternative a further part of the same kind continues the body;
      // inside it, it is just another rendering of the same content.
      if (!list.length || parentType !== 'multipart/alternative') {
        list.push(part);
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
  walk(root, false, '');
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

/** Header fields behind the envelope, re-read when they came garbled. */
export const ENVELOPE_HEADERS = ['subject', 'from', 'to', 'cc', 'bcc', 'reply-to'];

/**
 * Raw 8-bit headers in a legacy charset (old 1C, Outlook Express, scripts) reach us through
 * ENVELOPE and BODYSTRUCTURE as U+FFFD: which fields of `p` need re-reading from their bytes.
 */
export function garbledHeaders(p: ParsedMessage): { envelope: boolean; parts: string[] } {
  const bad = (s: string | undefined) => Boolean(s?.includes('\uFFFD'));
  const envelope = bad(p.subject) || [p.from, ...p.to, ...p.cc, ...p.bcc, ...p.replyTo].some((a) => bad(a?.name));
  return { envelope, parts: p.attachments.filter((a) => a.part && bad(a.filename)).map((a) => a.part!) };
}

/** A header block's raw bytes (windows-1251 unless UTF-8) parsed by mailparser. */
function parseHeaderBytes(raw: Buffer): Promise<ParsedMail> {
  return simpleParser(Buffer.from(`${decodeCharset(raw, '').trimEnd()}\r\n\r\n`), PARSER_OPTIONS);
}

/** Replaces the envelope fields of `p` with those read from the raw ENVELOPE_HEADERS. */
export async function repairEnvelope(p: ParsedMessage, raw: Buffer): Promise<void> {
  const m = await parseHeaderBytes(raw);
  p.subject = m.subject ?? '';
  p.from = addrList(m.from)[0] ?? null;
  p.to = addrList(m.to);
  p.cc = addrList(m.cc);
  p.bcc = addrList(m.bcc);
  p.replyTo = addrList(m.replyTo);
}

/** An attachment's filename from its raw MIME header, or null. */
export async function filenameFromMime(raw: Buffer): Promise<string | null> {
  const h = (await parseHeaderBytes(raw)).headers;
  const param = (name: string, key: string) => (h.get(name) as { params?: Record<string, string> } | undefined)?.params?.[key];
  return param('content-disposition', 'filename') || param('content-type', 'name') || null;
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

/** Labels meaning UTF-8 or its ASCII subset (Dovecot reports us-ascii when a part names none). */
const UTF8_LABELS = new Set(['', 'utf-8', 'utf8', 'us-ascii', 'ascii', 'ansi_x3.4-1968', 'unicode-1-1-utf-8']);
/** iconv-lite codecs that are no text charset: UTF-7 smuggles markup past filters, base64/hex are transfer encodings. */
const NOT_CHARSETS = new Set(['utf7', 'utf7imap', 'base64', 'hex'].map((n) => iconv.getCodec(n)));
const decoders = new Map<string, TextDecoder | null>();

function textDecoder(label: string): TextDecoder | null {
  if (!decoders.has(label)) {
    let d: TextDecoder | null = null;
    try {
      d = new TextDecoder(label);
    } catch {
      /* not a WHATWG label */
    }
    decoders.set(label, d);
  }
  return decoders.get(label) ?? null;
}

/**
 * UTF-8, unless the bytes are mostly not UTF-8: then windows-1251, what Russian mail without a
 * (correct) charset is written in. A stray bad byte in UTF-8 text does not switch it.
 */
function utf8OrCp1251(buf: Buffer): string {
  // Without the byte order mark Windows programs put first (TextDecoder dropped it too).
  const s = buf.toString('utf8').replace(/^\uFEFF/, '');
  if (!s.includes('\uFFFD')) return s;
  let bad = 0;
  let good = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xfffd) bad++;
    else if (c >= 0x80) good++;
  }
  return bad > good ? iconv.decode(buf, 'windows-1251') : s;
}

/** Bytes of a text part in its declared charset → string (iconv-lite knows more labels than TextDecoder, e.g. cp-1251). */
export function decodeCharset(buf: Buffer, charset: string): string {
  const cs = charset.trim().toLowerCase();
  if (UTF8_LABELS.has(cs)) return utf8OrCp1251(buf);
  if (iconv.encodingExists(cs) && !NOT_CHARSETS.has(iconv.getCodec(cs))) return iconv.decode(buf, cs);
  // WHATWG-only labels (iso-2022-jp, x-cp1251); an unknown label is treated like a missing one.
  return textDecoder(cs)?.decode(buf) ?? utf8OrCp1251(buf);
}

/** The text of a body part as fetched: transfer encoding removed unless the server did (BINARY). */
export function partText(buf: Buffer | undefined, enc: { encoding: string; charset: string } | undefined, alreadyDecoded: boolean): string {
  if (!buf) return '';
  const raw = alreadyDecoded ? buf : decodeTransfer(buf, enc?.encoding ?? '7bit');
  return decodeCharset(raw, enc?.charset ?? 'utf-8').replace(/\r\n/g, '\n');
}
