/**
 * Bytes as text: files the user picked, mail sources and attachments from the core. CSV from
 * Excel is UTF-8 (with a BOM) when saved as «CSV UTF-8», but Russian Excel's plain «CSV», old
 * CRMs and old Russian mail use Windows-1251: bytes that are not valid UTF-8 are read as cp1251
 * (every byte is a character there, so it never fails).
 */
export function decodeTextBytes(bytes: ArrayBuffer | Uint8Array, opts: { partial?: boolean } = {}): string {
  try {
    // The BOM, if any, is dropped by the decoder. `partial`: the bytes were cut, so a character
    // split at the end is not an encoding error.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !!opts.partial });
  } catch {
    return new TextDecoder('windows-1251').decode(bytes);
  }
}

export async function readTextFile(file: Blob): Promise<string> {
  return decodeTextBytes(await file.arrayBuffer());
}

/** Bytes the core sent as base64 (attachments, a message's source). */
export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
