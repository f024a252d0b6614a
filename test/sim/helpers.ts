// Shared helpers for the simulator tests: signed POSTs to the fake API over real HTTP.
import { signedForm } from '../../tools/mango-sim/sign';

export const KEY = 'test-key';
export const SALT = 'test-salt';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function post(base: string, path: string, payload: object | string, opts: { key?: string; salt?: string; body?: string } = {}): Promise<ApiResponse> {
  const body = opts.body ?? signedForm(opts.key ?? KEY, opts.salt ?? SALT, payload);
  const res = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    redirect: 'manual',
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
