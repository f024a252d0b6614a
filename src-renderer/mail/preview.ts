/**
 * Which attachments the reader previews, decided without trusting the sender: an image needs
 * both an image label (content type, or a generic type with an image file name) and image
 * magic bytes; SVG is never an image here (it can carry script), whatever it is labelled.
 * PDFs are not previewed: the sandboxed window has no PDF plugin and framing a blob: PDF would
 * widen the renderer's surface; «Открыть» hands them to the system's viewer instead.
 */
import { decodeTextBytes } from '../text-file';

export const PREVIEW_IMAGE_MAX_BYTES = 10 * 1024 * 1024;
export const PREVIEW_MAX_IMAGES = 20;
export const PREVIEW_TEXT_MAX_BYTES = 1024 * 1024;
/** All thumbnails of one message together: the renderer holds their bytes while it is open. */
export const PREVIEW_TOTAL_MAX_BYTES = 40 * 1024 * 1024;

export type PreviewImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'image/bmp';

export interface PreviewAttachment {
  filename: string;
  contentType: string;
  size: number;
}

const IMAGE_LABELS = new Set([
  'image/png',
  'image/x-png',
  'image/apng',
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/x-bmp',
  'image/x-ms-bmp',
]);
const IMAGE_EXTS = new Set(['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'gif', 'webp', 'bmp']);
const TEXT_LABELS = new Set(['text/plain', 'text/csv', 'text/comma-separated-values', 'application/csv']);
const TEXT_EXTS = new Set(['txt', 'csv', 'log']);
/** Labels that say nothing about the content: the file name decides. */
const GENERIC = new Set(['', 'application/octet-stream', 'application/x-download', 'application/download', 'binary/octet-stream']);

function baseType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

function extension(filename: string): string {
  const m = /\.([a-z0-9]{1,8})$/i.exec(filename.trim());
  return m ? m[1].toLowerCase() : '';
}

/** What the labels claim the file is; `null` for everything shown only as a file. */
export function labelKind(a: Pick<PreviewAttachment, 'filename' | 'contentType'>): 'image' | 'text' | null {
  const type = baseType(a.contentType);
  const ext = extension(a.filename);
  if (type.startsWith('image/svg') || ext === 'svg' || ext === 'svgz') return null;
  if (IMAGE_LABELS.has(type) || (GENERIC.has(type) && IMAGE_EXTS.has(ext))) return 'image';
  if (TEXT_LABELS.has(type) || (GENERIC.has(type) && TEXT_EXTS.has(ext))) return 'text';
  return null;
}

/** The attachments worth fetching for thumbnails: labelled images up to 10 MB, the first 20, 40 MB in all. */
export function thumbnailCandidates<T extends PreviewAttachment>(attachments: T[]): T[] {
  let total = 0;
  return attachments
    .filter((a) => labelKind(a) === 'image' && a.size <= PREVIEW_IMAGE_MAX_BYTES)
    .slice(0, PREVIEW_MAX_IMAGES)
    .filter((a) => (total += a.size) <= PREVIEW_TOTAL_MAX_BYTES);
}

const ascii = (b: Uint8Array, at: number, s: string) => {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};

/** The image type the bytes really are (png, jpeg, gif, webp, bmp), or null. */
export function sniffImage(b: Uint8Array): PreviewImageType | null {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  // "BM" alone starts plenty of text: also require a known DIB header size.
  if (b.length >= 26 && ascii(b, 0, 'BM')) {
    const dib = b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24);
    if ([12, 16, 40, 52, 56, 64, 108, 124].includes(dib)) return 'image/bmp';
  }
  return null;
}

/** The type to show fetched bytes as, or null: labelled an image, within the size limit, and sniffed as one. */
export function previewImageType(a: Pick<PreviewAttachment, 'filename' | 'contentType'>, bytes: Uint8Array): PreviewImageType | null {
  if (labelKind(a) !== 'image' || bytes.length > PREVIEW_IMAGE_MAX_BYTES) return null;
  return sniffImage(bytes);
}

/**
 * The first megabyte of a text file as text: UTF-8 (BOMs honoured), else windows-1251, as old
 * Russian mail sends it. `binary` when it is not text at all (NUL bytes), so it is not shown.
 */
export function decodeTextPreview(bytes: Uint8Array): { text: string; cut: boolean; binary: boolean } {
  const cut = bytes.length > PREVIEW_TEXT_MAX_BYTES;
  const head = cut ? bytes.subarray(0, PREVIEW_TEXT_MAX_BYTES) : bytes;
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    return { text: new TextDecoder(head[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(head), cut, binary: false };
  }
  if (head.subarray(0, 8192).includes(0)) return { text: '', cut, binary: true };
  return { text: decodeTextBytes(head, { partial: cut }), cut, binary: false };
}
