/**
 * A text file the user picked, as text. CSV from Excel is UTF-8 (with a BOM) when saved as
 * «CSV UTF-8», but Russian Excel's plain «CSV» and old CRMs write Windows-1251: bytes that are
 * not valid UTF-8 are read as cp1251 (every byte is a character there, so it never fails).
 */
export function decodeTextBytes(bytes: ArrayBuffer | Uint8Array): string {
  try {
    // The BOM, if any, is dropped by the decoder.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1251').decode(bytes);
  }
}

export async function readTextFile(file: Blob): Promise<string> {
  return decodeTextBytes(await file.arrayBuffer());
}
