import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The request being handled, visible to every log call made while handling it. */
export interface RequestContext {
  reqId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

const SAFE_ID = /^[A-Za-z0-9._:@\-]{1,128}$/;

/**
 * Fastify `genReqId`: an `x-request-id` set by the proxy in front (nginx `$request_id`) or the
 * caller is kept when it is a short token; anything else gets a fresh UUID.
 */
export function genReqId(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  const v = Array.isArray(h) ? h[0] : h;
  return v && SAFE_ID.test(v) ? v : randomUUID();
}
