/**
 * Draws the app icon in code (no network, no image tools) and writes what electron-builder
 * reads from build-resources/:
 *   icon.png            1024×1024, macOS (converted to .icns) and the source of the rest
 *   icon.ico            Windows: 256, 64, 48, 32 and 16 px (PNG-compressed entries)
 *   icons/NxN.png       Linux: 16 … 512 px
 * Run again after changing the drawing: `npx tsx build-resources/make-icons.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from '../src-main/core/png';

const OUT = path.dirname(fileURLToPath(import.meta.url));
const BG_TOP = [0x2b, 0x72, 0xc9];
const BG_BOTTOM = [0x17, 0x4a, 0x8f];

/** Signed distance to a rounded square of half-size h and corner radius r (unit coordinates). */
function roundedSquare(x: number, y: number, h: number, r: number): number {
  const qx = Math.abs(x - 0.5) - (h - r);
  const qy = Math.abs(y - 0.5) - (h - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** The white headset: a thick arc with two round ear pieces. Inside when true. */
function handset(x: number, y: number): boolean {
  const cx = 0.5;
  const cy = 0.6;
  const R = 0.25;
  const dx = x - cx;
  const dy = y - cy;
  const a = Math.atan2(dy, dx); // y grows downwards: the arc's top is at -π/2
  const onArc = a < -0.2 && a > -Math.PI + 0.2 && Math.abs(Math.hypot(dx, dy) - R) < 0.055;
  const ends = [-0.2, -Math.PI + 0.2].some((t) => {
    const ex = cx + (R + 0.02) * Math.cos(t);
    const ey = cy + (R + 0.02) * Math.sin(t) + 0.055;
    // A capsule standing below each arc end.
    const py = Math.max(ey - 0.04, Math.min(ey + 0.04, y));
    return Math.hypot(x - ex, y - py) < 0.085;
  });
  return onArc || ends;
}

function pixel(x: number, y: number): number[] | null {
  const d = roundedSquare(x, y, 0.44, 0.1);
  if (d > 0) return null;
  if (handset(x, y)) return [255, 255, 255];
  // A small status dot: the tray's "connected" green.
  if (Math.hypot(x - 0.5, y - 0.47) < 0.06) return [0x6b, 0xd8, 0x8a];
  const t = Math.max(0, Math.min(1, (y - 0.06) / 0.88));
  return BG_TOP.map((c, i) => Math.round(c + (BG_BOTTOM[i] - c) * t));
}

export function drawPng(size: number): Buffer {
  const S = size >= 256 ? 3 : 4; // supersampling per axis
  return encodePng(
    size,
    (px, py) => {
      let r = 0, g = 0, b = 0, n = 0;
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const c = pixel((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; n++;
        }
      return n ? [r / n, g / n, b / n, (n / (S * S)) * 255] : [0, 0, 0, 0];
    },
    9,
  );
}

/** An .ico whose entries are PNGs (Windows Vista and later read them). */
function ico(pngs: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(pngs.length, 4);
  const dir = Buffer.alloc(16 * pngs.length);
  let offset = 6 + dir.length;
  pngs.forEach(({ size, png }, i) => {
    const o = i * 16;
    dir[o] = size >= 256 ? 0 : size;
    dir[o + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, o + 4); // planes
    dir.writeUInt16LE(32, o + 6); // bits per pixel
    dir.writeUInt32LE(png.length, o + 8);
    dir.writeUInt32LE(offset, o + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...pngs.map((p) => p.png)]);
}

const cache = new Map<number, Buffer>();
const png = (size: number): Buffer => cache.get(size) ?? cache.set(size, drawPng(size)).get(size)!;

fs.mkdirSync(path.join(OUT, 'icons'), { recursive: true });
fs.writeFileSync(path.join(OUT, 'icon.png'), png(1024));
for (const size of [16, 32, 48, 64, 128, 256, 512]) fs.writeFileSync(path.join(OUT, 'icons', `${size}x${size}.png`), png(size));
fs.writeFileSync(path.join(OUT, 'icon.ico'), ico([256, 64, 48, 32, 16].map((size) => ({ size, png: png(size) }))));
console.log('icons written to', OUT);
