import { createHash } from 'node:crypto';
import { TEST_MANGO_KEY, TEST_MANGO_SALT } from './relay';

/** Posts one callback exactly as Mango does: form fields vpbx_api_key, sign, json. */
export async function postSigned(
  webhookBase: string,
  path: string,
  payload: object | string,
  opts: { key?: string; salt?: string; sign?: string } = {},
): Promise<{ status: number; body: string }> {
  const key = opts.key ?? TEST_MANGO_KEY;
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const sign = opts.sign ?? createHash('sha256').update(key + json + (opts.salt ?? TEST_MANGO_SALT)).digest('hex');
  const res = await fetch(webhookBase + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ vpbx_api_key: key, sign, json }),
  });
  return { status: res.status, body: await res.text() };
}
