import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:@\-]{1,128}$/;

/**
 * Fastify `genReqId`: an `x-request-id` set by the proxy in front (nginx `$request_id`) or the
 * caller is kept when it is a short token; anything else gets a fresh UUID. The id is echoed in
 * the response and written on the request's log lines.
 */
export function genReqId(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  const v = Array.isArray(h) ? h[0] : h;
  return v && SAFE_ID.test(v) ? v : randomUUID();
}
