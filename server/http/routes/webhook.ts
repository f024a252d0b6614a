import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayContext } from '../context';
import { BadEvent, classify } from '../../mango/events';
import { safeEqual, verifyMangoSign } from '../../mango/sign';
import { unstorableReason } from '../../mango/storable';
import { isDataError } from '../../ingest/batcher';

interface Signed {
  key: string | null;
  sign: string | null;
  json: string | null;
}

/** Reads Mango's three fields from a form body (or, for the guide's JSON variant, a JSON body). */
function readSigned(req: FastifyRequest): Signed | { error: string } {
  const body = req.body;
  if (typeof body === 'string') {
    const f = new URLSearchParams(body);
    return { key: f.get('vpbx_api_key'), sign: f.get('sign'), json: f.get('json') };
  }
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const s = (v: unknown) => (typeof v === 'string' ? v : null);
    return { key: s(b.vpbx_api_key), sign: s(b.sign), json: typeof b.json === 'string' ? b.json : null };
  }
  return { error: 'expected a form body with vpbx_api_key, sign and json' };
}

export function registerWebhookRoutes(app: FastifyInstance, ctx: RelayContext) {
  const handle = async (req: FastifyRequest, reply: FastifyReply, path: string) => {
    const started = process.hrtime.bigint();
    const signed = readSigned(req);
    if ('error' in signed) return reply.code(400).send({ error: 'bad-request', message: signed.error });
    const settings = await ctx.settings.get();
    if (!signed.key || !signed.sign) return reply.code(403).send({ error: 'unsigned', message: 'vpbx_api_key and sign are required' });
    if (settings.saltUnreadable) {
      // Our misconfiguration, not Mango's: 503 so Mango retries once the key is fixed.
      ctx.log.error({ reqId: req.id, path }, 'webhook not verified: the stored Mango salt cannot be decrypted with RELAY_SECRET_KEY (set the key it was saved with, or enter the salt again in #/mango)');
      return reply.code(503).send({ error: 'secret-key-mismatch', message: 'the relay cannot read its Mango salt; retry later' });
    }
    if (!settings.apiKey || !settings.apiSalt) {
      ctx.log.warn({ reqId: req.id, path }, 'webhook refused: Mango API key/salt are not configured');
      return reply.code(403).send({ error: 'not-configured', message: 'Mango API key and salt are not configured' });
    }
    const json = signed.json ?? '';
    if (!safeEqual(signed.key, settings.apiKey) || !verifyMangoSign(settings.apiKey, json, settings.apiSalt, signed.sign)) {
      ctx.log.warn({ reqId: req.id, path, ip: req.ip }, 'webhook refused: wrong key or sign');
      return reply.code(403).send({ error: 'bad-sign', message: 'wrong vpbx_api_key or sign' });
    }
    if (path === 'ping') return reply.code(200).send({ success: true });
    if (!json) return reply.code(400).send({ error: 'bad-request', message: 'json field is missing' });
    let payload: unknown;
    try {
      payload = JSON.parse(json);
    } catch {
      return reply.code(400).send({ error: 'bad-json', message: 'json is not valid JSON' });
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return reply.code(400).send({ error: 'bad-json', message: 'json must be an object' });
    // Refused as malformed rather than failing the batch's commit (and its other events) in PostgreSQL.
    const unstorable = unstorableReason(payload);
    if (unstorable) return reply.code(400).send({ error: 'bad-json', message: unstorable });
    let meta;
    try {
      meta = classify(path, payload);
    } catch (err) {
      if (err instanceof BadEvent) return reply.code(400).send({ error: 'bad-event', message: err.message });
      throw err;
    }
    try {
      const r = await ctx.batcher.append({ kind: path, idemKey: meta.idemKey, entryId: meta.entryId, rawJson: json });
      ctx.metrics.webhook(path, r.duplicate ? 'duplicate' : 'stored', Number(process.hrtime.bigint() - started) / 1e6);
    } catch (err) {
      // A data exception for this event alone (the batcher retries a failed batch row by row):
      // the event itself cannot be stored, and resending it will not change that.
      if (isDataError(err)) {
        ctx.log.warn({ reqId: req.id, path, reason: (err as Error).message }, 'webhook refused: the database cannot store its json');
        return reply.code(400).send({ error: 'bad-json', message: `json cannot be stored: ${(err as Error).message}` });
      }
      ctx.log.error({ reqId: req.id, err, path }, 'webhook not stored: database write failed');
      ctx.metrics.webhook(path, 'failed', Number(process.hrtime.bigint() - started) / 1e6);
      return reply.code(503).send({ error: 'unavailable', message: 'event not stored, retry later' });
    }
    return reply.code(200).send({ success: true });
  };

  app.post('/api/mango-webhook/ping', (req, reply) => handle(req, reply, 'ping'));
  app.post('/api/mango-webhook/events/*', (req, reply) => {
    const kind = (req.params as { '*': string })['*'];
    return handle(req, reply, `events/${kind}`);
  });
  app.post('/api/mango-webhook/result/*', (req, reply) => {
    const cmd = (req.params as { '*': string })['*'];
    if (!/^[a-z_/]{1,64}$/.test(cmd)) return reply.code(400).send({ error: 'bad-request', message: 'unknown result path' });
    return handle(req, reply, `result/${cmd}`);
  });
  app.post('/api/mango-webhook', (req, reply) => handle(req, reply, 'simple'));
}
