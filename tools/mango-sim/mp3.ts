// A tiny valid-looking MP3: MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz) of silence.

const FRAME_HEADER = [0xff, 0xfb, 0x90, 0x64];
/** 144 * 128000 / 44100, no padding. */
const FRAME_BYTES = 417;

export function fakeMp3(frames = 40): Buffer {
  const buf = Buffer.alloc(FRAME_BYTES * frames);
  for (let i = 0; i < frames; i++) buf.set(FRAME_HEADER, i * FRAME_BYTES);
  return buf;
}
