// Mango's signature (mango-api.md §1.3): plain sha256 over key + json + salt, NOT an HMAC.
import { createHash, timingSafeEqual } from 'node:crypto';

export function mangoSign(key: string, json: string, salt: string): string {
  return createHash('sha256').update(key + json + salt, 'utf8').digest('hex');
}

/** Compact JSON unless the caller already has the exact string to sign. */
export function toMangoJson(payload: object | string): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}

/** x-www-form-urlencoded body with vpbx_api_key, sign, json (URLSearchParams encodes + / = " {). */
export function signedForm(key: string, salt: string, payload: object | string): string {
  const json = toMangoJson(payload);
  return new URLSearchParams({ vpbx_api_key: key, sign: mangoSign(key, json, salt), json }).toString();
}

/** Constant-time comparison over the exact json string received. */
export function verifySign(key: string, json: string, salt: string, sign: string): boolean {
  const expected = Buffer.from(mangoSign(key, json, salt), 'utf8');
  const given = Buffer.from(sign.toLowerCase(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface SignedFields {
  vpbx_api_key?: string;
  sign?: string;
  json?: string;
}

export function parseSignedForm(body: string): SignedFields {
  const params = new URLSearchParams(body);
  const get = (name: string) => params.get(name) ?? undefined;
  return { vpbx_api_key: get('vpbx_api_key'), sign: get('sign'), json: get('json') };
}
