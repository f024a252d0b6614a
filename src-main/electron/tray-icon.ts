/**
 * Tray icons drawn in code (a filled circle per connection state), one small bitmap per DPI
 * (16 px at 1×, 32 px at 2×) rather than one huge image scaled by the OS.
 */
import { nativeImage, type NativeImage } from 'electron';
import { encodePng } from '../core/png';

export type TrayTone = 'connected' | 'reconnecting' | 'logged-out';

/** The tray's tones, and the red of the taskbar's "something waits" overlay. */
const COLORS: Record<TrayTone | 'attention', [number, number, number]> = {
  connected: [0x2e, 0x9d, 0x4f],
  reconnecting: [0xe0, 0x8a, 0x1e],
  'logged-out': [0x8a, 0x8f, 0x98],
  attention: [0xd9, 0x3a, 0x2f],
};

/** An RGBA PNG of a filled, anti-aliased circle with a white "handset" dot in the middle. */
export function circlePng(size: number, [r, g, b]: [number, number, number]): Buffer {
  const c = (size - 1) / 2;
  const radius = size / 2 - 0.5;
  return encodePng(size, (x, y) => {
    const d = Math.hypot(x - c, y - c);
    const alpha = Math.max(0, Math.min(1, radius - d + 0.5)) * 255;
    return d < size * 0.16 ? [255, 255, 255, alpha] : [r, g, b, alpha];
  });
}

const cache = new Map<keyof typeof COLORS, NativeImage>();

function circleIcon(key: keyof typeof COLORS): NativeImage {
  let img = cache.get(key);
  if (!img) {
    img = nativeImage.createEmpty();
    for (const scaleFactor of [1, 2]) {
      const size = 16 * scaleFactor;
      img.addRepresentation({ scaleFactor, width: size, height: size, buffer: circlePng(size, COLORS[key]) });
    }
    cache.set(key, img);
  }
  return img;
}

export const trayIcon = (tone: TrayTone): NativeImage => circleIcon(tone);

/** The red dot Windows lays over the taskbar button while something waits (overlay icon). */
export const attentionBadge = (): NativeImage => circleIcon('attention');
