/**
 * Which attachments the reader previews: images by label AND magic bytes (png, jpeg, gif, webp,
 * bmp), SVG never (whatever its label), mislabelled text refused, the 10 MB / 20 pictures bounds,
 * and text files decoded as UTF-8 or windows-1251 within their first megabyte.
 */
import { describe, expect, it } from 'vitest';
import {
  PREVIEW_IMAGE_MAX_BYTES,
  PREVIEW_MAX_IMAGES,
  PREVIEW_TEXT_MAX_BYTES,
  PREVIEW_TOTAL_MAX_BYTES,
  decodeTextPreview,
  labelKind,
  previewImageType,
  sniffImage,
  thumbnailCandidates,
} from '../../src-renderer/mail/preview';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

const png = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF', [0]);
const gif = bytes('GIF89a', [1, 0, 1, 0, 0, 0, 0]);
const webp = bytes('RIFF', [26, 0, 0, 0], 'WEBPVP8L', [0, 0, 0, 0]);
// BITMAPFILEHEADER (14 bytes) + a BITMAPINFOHEADER's size field (40) and some more.
const bmp = bytes('BM', [70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0], [40, 0, 0, 0], new Array(20).fill(0));
const svg = bytes('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');

describe('attachment preview classification', () => {
  it('sniffs png, jpeg, gif, webp and bmp by their first bytes', () => {
    expect(sniffImage(png)).toBe('image/png');
    expect(sniffImage(jpeg)).toBe('image/jpeg');
    expect(sniffImage(gif)).toBe('image/gif');
    expect(sniffImage(bytes('GIF87a', [0, 0]))).toBe('image/gif');
    expect(sniffImage(webp)).toBe('image/webp');
    expect(sniffImage(bmp)).toBe('image/bmp');
    expect(sniffImage(svg)).toBeNull();
    expect(sniffImage(new Uint8Array())).toBeNull();
    expect(sniffImage(bytes('RIFF', [0, 0, 0, 0], 'WAVE'))).toBeNull();
    // Text that happens to start with "BM" is not a bitmap.
    expect(sniffImage(bytes('BMW X5, пробег 120 000 км, цена договорная.'))).toBeNull();
    // A truncated PNG signature is not a PNG.
    expect(sniffImage(png.subarray(0, 5))).toBeNull();
  });

  it('needs an image label and image bytes; the bytes decide the type', () => {
    expect(previewImageType({ filename: 'photo.png', contentType: 'image/png' }, png)).toBe('image/png');
    // Senders mislabel: a JPEG sent as image/png is shown as the JPEG it is.
    expect(previewImageType({ filename: 'photo.png', contentType: 'image/png' }, jpeg)).toBe('image/jpeg');
    expect(previewImageType({ filename: 'scan.jpg', contentType: 'application/octet-stream' }, jpeg)).toBe('image/jpeg');
    expect(previewImageType({ filename: 'IMG_1.JPEG', contentType: 'image/jpg; name="IMG_1.JPEG"' }, jpeg)).toBe('image/jpeg');
    expect(previewImageType({ filename: 'a.bmp', contentType: 'image/x-ms-bmp' }, bmp)).toBe('image/bmp');
    expect(previewImageType({ filename: 'a.webp', contentType: 'image/webp' }, webp)).toBe('image/webp');
    // Text labelled image/jpeg is refused.
    expect(previewImageType({ filename: 'photo.jpg', contentType: 'image/jpeg' }, bytes('Это не картинка, а текст.'))).toBeNull();
    // Image bytes without an image label stay a file (a .dat someone named oddly, a PDF…).
    expect(previewImageType({ filename: 'report.pdf', contentType: 'application/pdf' }, png)).toBeNull();
    expect(previewImageType({ filename: 'data.bin', contentType: 'application/octet-stream' }, png)).toBeNull();
  });

  it('never treats SVG as an image, whatever it is labelled', () => {
    expect(labelKind({ filename: 'logo.svg', contentType: 'image/svg+xml' })).toBeNull();
    expect(labelKind({ filename: 'logo.png', contentType: 'image/svg+xml' })).toBeNull();
    expect(labelKind({ filename: 'logo.svg', contentType: 'image/png' })).toBeNull();
    expect(labelKind({ filename: 'logo.svg', contentType: 'application/octet-stream' })).toBeNull();
    // Labelled image/png with a harmless name: the label passes, the bytes refuse it.
    expect(labelKind({ filename: 'logo.png', contentType: 'image/png' })).toBe('image');
    expect(previewImageType({ filename: 'logo.png', contentType: 'image/png' }, svg)).toBeNull();
    // Even with a UTF-8 BOM or leading whitespace it is text, not an image.
    expect(previewImageType({ filename: 'logo.png', contentType: 'image/png' }, bytes([0xef, 0xbb, 0xbf], '  <svg/>'))).toBeNull();
  });

  it('labels text files (text/plain, csv) for «Просмотр», nothing else', () => {
    expect(labelKind({ filename: 'notes.txt', contentType: 'text/plain; charset=windows-1251' })).toBe('text');
    expect(labelKind({ filename: 'Смета.csv', contentType: 'text/csv' })).toBe('text');
    expect(labelKind({ filename: 'Смета.csv', contentType: 'application/octet-stream' })).toBe('text');
    expect(labelKind({ filename: 'page.html', contentType: 'text/html' })).toBeNull();
    expect(labelKind({ filename: 'invoice.pdf', contentType: 'application/pdf' })).toBeNull();
    expect(labelKind({ filename: 'x.exe', contentType: 'application/x-msdownload' })).toBeNull();
  });

  it('bounds thumbnails: images over 10 MB, beyond the 20th or the 40 MB in all stay files', () => {
    const img = (i: number, size = 1000) => ({ index: i, filename: `p${i}.png`, contentType: 'image/png', size });
    const list = [
      img(0, PREVIEW_IMAGE_MAX_BYTES + 1),
      img(1, PREVIEW_IMAGE_MAX_BYTES),
      { index: 2, filename: 'logo.svg', contentType: 'image/svg+xml', size: 10 },
      { index: 3, filename: 'a.txt', contentType: 'text/plain', size: 10 },
      ...Array.from({ length: 30 }, (_, i) => img(4 + i)),
    ];
    const picked = thumbnailCandidates(list).map((a) => a.index);
    expect(picked).toHaveLength(PREVIEW_MAX_IMAGES);
    expect(picked[0]).toBe(1);
    expect(picked).not.toContain(0);
    expect(picked).not.toContain(2);
    expect(picked).not.toContain(3);
    expect(picked.at(-1)).toBe(4 + PREVIEW_MAX_IMAGES - 2);
    // Five pictures of 9 MB: the first four fit the 40 MB a message's thumbnails may hold.
    expect(thumbnailCandidates(Array.from({ length: 5 }, (_, i) => img(i, 9 * 1024 * 1024))).map((a) => a.index)).toEqual([0, 1, 2, 3]);
    expect(PREVIEW_TOTAL_MAX_BYTES).toBe(40 * 1024 * 1024);
    // Bytes beyond the limit are refused even if the listed size was smaller.
    const huge = new Uint8Array(PREVIEW_IMAGE_MAX_BYTES + 1);
    huge.set(png);
    expect(previewImageType({ filename: 'p.png', contentType: 'image/png' }, huge)).toBeNull();
  });

  it('decodes text as UTF-8, else windows-1251, at most the first megabyte', () => {
    expect(decodeTextPreview(new TextEncoder().encode('Привет;мир\n1;2'))).toEqual({ text: 'Привет;мир\n1;2', cut: false, binary: false });
    const cp1251 = new Uint8Array([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x2c, 0x20, 0xec, 0xe8, 0xf0]);
    expect(decodeTextPreview(cp1251).text).toBe('Привет, мир');
    expect(decodeTextPreview(new Uint8Array([0xff, 0xfe, 0x1f, 0x04, 0x40, 0x04])).text).toBe('Пр');
    expect(decodeTextPreview(png).binary).toBe(true);
    // A two-byte letter split by the 1 MB cut is not mistaken for windows-1251.
    const long = new TextEncoder().encode('a' + 'я'.repeat(PREVIEW_TEXT_MAX_BYTES / 2 + 10));
    const d = decodeTextPreview(long);
    expect(d.cut).toBe(true);
    expect(d.text.startsWith('aяяя')).toBe(true);
    expect(d.text.length).toBe(PREVIEW_TEXT_MAX_BYTES / 2);
  });
});
