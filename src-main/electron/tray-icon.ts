/**
 * Tray icons drawn in code (a filled circle per connection state), one small bitmap per DPI
 * (16 px at 1×, 32 px at 2×) rather than one huge image scaled by the OS.
 */
import zlib from 'node:zlib';
import { nativeImage, type NativeImage } from 'electron';

export type TrayTone = 'connected' | 'reconnecting' | 'logged-out';

const COLORS: Record<TrayTone, [number, number, number]> = {
  connected: [0x2e, 0x9d, 0x4f],
  reconnecting: [0xe0, 0x8a, 0x1e],
  'logged-out': [0x8a, 0x8f, 0x98],
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGBA PNG of a filled, anti-aliased circle with a white "handset" dot in the middle. */
export function circlePng(size: number, [r, g, b]: [number, number, number]): Buffer {
  const rows: Buffer[] = [];
  const c = (size - 1) / 2;
  const radius = size / 2 - 0.5;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const alpha = Math.max(0, Math.min(1, radius - d + 0.5));
      const inner = d < size * 0.16;
      const o = 1 + x * 4;
      row[o] = inner ? 255 : r;
      row[o + 1] = inner ? 255 : g;
      row[o + 2] = inner ? 255 : b;
      row[o + 3] = Math.round(alpha * 255);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const cache = new Map<TrayTone, NativeImage>();

export function trayIcon(tone: TrayTone): NativeImage {
  let img = cache.get(tone);
  if (!img) {
    img = nativeImage.createEmpty();
    for (const scaleFactor of [1, 2]) {
      const size = 16 * scaleFactor;
      img.addRepresentation({ scaleFactor, width: size, height: size, buffer: circlePng(size, COLORS[tone]) });
    }
    cache.set(tone, img);
  }
  return img;
}
