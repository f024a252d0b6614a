import { createHash, timingSafeEqual } from 'node:crypto';

/** Mango's signature: sha256_hex(key + json + salt) over the exact json string (mango-api.md §1.3). */
export function mangoSign(apiKey: string, json: string, apiSalt: string): string {
  return createHash('sha256').update(apiKey + json + apiSalt, 'utf8').digest('hex');
}

/** Constant-time check of a received sign; a malformed sign simply fails. */
export function verifyMangoSign(apiKey: string, json: string, apiSalt: string, sign: string): boolean {
  const expected = Buffer.from(mangoSign(apiKey, json, apiSalt), 'utf8');
  const got = Buffer.from(sign.toLowerCase(), 'utf8');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Constant-time string equality for the api key. */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
