/**
 * A message's full source — headers and MIME exactly as the server holds them — for «Показать
 * оригинал» and «Сохранить как файл (.eml)». The local store keeps parsed text, not raw mail, so
 * the source is fetched by UID on demand, on its own short connection, and bounded in size.
 */
import type { ImapFlow } from 'imapflow';
import type { MailServerSettings } from '../../../src-shared/ipc/mail';
import { MailError, describeMailError } from './errors-ru';

/** Larger sources are refused: they would be held whole in memory and sent over IPC as base64. */
export const MAX_SOURCE_BYTES = 25 * 1024 * 1024;

export interface SourceTarget {
  /** The folder the message is in (undefined: the folder is gone locally). */
  folder: { path: string; uidvalidity: number | null } | undefined;
  uid: number;
  /** Only for the wording of connection errors. */
  server: MailServerSettings;
}

const sizeRu = (n: number) =>
  n < 1024 * 1024 ? `${Math.ceil(n / 1024)} КБ` : `${(n / 1024 / 1024).toLocaleString('ru-RU', { maximumFractionDigits: 1 })} МБ`;

export const SOURCE_GONE = 'mail-source-gone';

function sourceGone(): MailError {
  return new MailError(
    SOURCE_GONE,
    'Письма больше нет на сервере: его удалили или перенесли в другую папку.',
    'Список писем обновится при следующей синхронизации.',
  );
}

function tooBig(size: number, max: number): MailError {
  return new MailError(
    'mail-source-too-big',
    `Письмо слишком большое (${sizeRu(size)}): оригинал можно показать или сохранить, только если письмо не больше ${sizeRu(max)}.`,
    'Откройте письмо в веб-интерфейсе почты, чтобы скачать его целиком.',
  );
}

const isMailError = (e: unknown): e is MailError => e instanceof MailError;
const statusCode = (e: unknown) => String((e as { serverResponseCode?: unknown } | null)?.serverResponseCode ?? '').toUpperCase();

/**
 * The source of one message: opens a connection with `open`, examines the folder read-only (the
 * fetch must not mark anything read), checks the folder is the one the UID belongs to
 * (UIDVALIDITY), reads the size first and refuses above `maxBytes`, then fetches the bytes.
 */
export async function fetchMessageSource(open: () => Promise<ImapFlow>, t: SourceTarget, maxBytes = MAX_SOURCE_BYTES): Promise<Buffer> {
  if (!t.folder) throw sourceGone();
  const folder = t.folder;
  const unreachable = (e: unknown): MailError => {
    const d = describeMailError(e, { proto: 'imap', host: t.server.host, port: t.server.port });
    return new MailError(d.code, `Оригинал письма хранится на сервере, а сервер сейчас недоступен: ${d.message}`, d.hint);
  };
  const client = await open().catch((e: unknown) => {
    throw unreachable(e);
  });
  try {
    const box = await client.mailboxOpen(folder.path, { readOnly: true }).catch((e: unknown) => {
      if (statusCode(e) === 'NONEXISTENT' && client.usable) throw sourceGone();
      throw e;
    });
    // Another UIDVALIDITY: the folder was recreated and this UID may name another message.
    if (folder.uidvalidity !== null && Number(box.uidValidity) !== folder.uidvalidity) throw sourceGone();
    const meta = await client.fetchOne(String(t.uid), { uid: true, size: true }, { uid: true });
    if (!meta) throw sourceGone();
    if ((meta.size ?? 0) > maxBytes) throw tooBig(meta.size ?? 0, maxBytes);
    const m = await client.fetchOne(String(t.uid), { uid: true, source: true }, { uid: true });
    if (!m || !m.source) throw sourceGone();
    // RFC822.SIZE is the server's word; the bytes that came are what count.
    if (m.source.length > maxBytes) throw tooBig(m.source.length, maxBytes);
    return m.source;
  } catch (e) {
    throw isMailError(e) ? e : unreachable(e);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Reserved device names on Windows: «CON.eml» cannot be created there. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;
/** Names are capped in UTF-8 bytes: file systems count bytes (255), and Cyrillic takes two each. */
const MAX_NAME_BYTES = 180;

/**
 * «<тема>.eml» safe to offer in a save dialog on any OS: no path separators or characters Windows
 * forbids, no control or bidi-override characters (which could disguise the extension), no leading
 * dots (hidden files, «..»), no trailing dots or spaces, capped in length; «письмо.eml» when
 * nothing is left.
 */
export function emlFilename(subject: string): string {
  let name = subject
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, ' ')
    .replace(/[\\/:*?"<>|]/g, '_')
    .replace(/\s+/g, ' ')
    .replace(/_{2,}/g, '_')
    .replace(/^[\s._]+/, '')
    .trim();
  let bytes = 0;
  let capped = '';
  for (const ch of name) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > MAX_NAME_BYTES) break;
    capped += ch;
  }
  name = capped.replace(/[\s.]+$/, '');
  if (!name) return 'письмо.eml';
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  return `${name}.eml`;
}
