import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayContext } from '../context';
import { BadEvent, classify } from '../../mango/events';
import { safeEqual, verifyMangoSign } from '../../mango/sign';
import { unstorableReason } from '../../mango/storable';
import { isDataError } from '../../ingest/batcher';
import { applyCommandResult } from '../../mango/commands';
import type { WebhookOutcome } from '../../../src-shared/wire';

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
    /** Counts the callback's outcome with its time so far (ms). */
    const count = (outcome: 'stored' | 'duplicate' | 'failed') => ctx.metrics.webhook(path, outcome, Number(process.hrtime.bigint() - started) / 1e6);
    /** Answers with an error body; the journal notes the outcome, finer than the status. */
    const refuse = (status: number, outcome: WebhookOutcome, error: string, message: string) => {
      ctx.journal.mark(req, outcome);
      return reply.code(status).send({ error, message });
    };
    const signed = readSigned(req);
    if ('error' in signed) return refuse(400, 'bad-request', 'bad-request', signed.error);
    const settings = await ctx.settings.get();
    if (!signed.key || !signed.sign) return refuse(403, 'unsigned', 'unsigned', 'vpbx_api_key and sign are required');
    if (settings.saltUnreadable) {
      // Our misconfiguration, not Mango's: 503 so Mango retries once the key is fixed.
      ctx.log.error({ reqId: req.id, path }, 'webhook not verified: the stored Mango salt cannot be decrypted with RELAY_SECRET_KEY (set the key it was saved with, or enter the salt again in #/mango)');
      return refuse(503, 'secret-key-mismatch', 'secret-key-mismatch', 'the relay cannot read its Mango salt; retry later');
    }
    if (!settings.apiKey || !settings.apiSalt) {
      ctx.log.warn({ reqId: req.id, path }, 'webhook refused: Mango API key/salt are not configured');
      return refuse(403, 'not-configured', 'not-configured', 'Mango API key and salt are not configured');
    }
    const json = signed.json ?? '';
    // The caller is told only "wrong key or sign"; the admin's journal tells which.
    const keyOk = safeEqual(signed.key, settings.apiKey);
    if (!keyOk || !verifyMangoSign(settings.apiKey, json, settings.apiSalt, signed.sign)) {
      ctx.log.warn({ reqId: req.id, path, ip: req.ip, wrong: keyOk ? 'sign' : 'key' }, 'webhook refused: wrong key or sign');
      return refuse(403, keyOk ? 'bad-sign' : 'bad-key', 'bad-sign', 'wrong vpbx_api_key or sign');
    }
    if (path === 'ping') {
      ctx.journal.mark(req, 'ping');
      return reply.code(200).send({ success: true });
    }
    if (!json) return refuse(400, 'bad-request', 'bad-request', 'json field is missing');
    let payload: unknown;
    try {
      payload = JSON.parse(json);
    } catch {
      return refuse(400, 'bad-json', 'bad-json', 'json is not valid JSON');
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return refuse(400, 'bad-json', 'bad-json', 'json must be an object');
    // Refused as malformed rather than failing the batch's commit (and its other events) in PostgreSQL.
    const unstorable = unstorableReason(payload);
    if (unstorable) return refuse(400, 'bad-json', 'bad-json', unstorable);
    let meta;
    try {
      meta = classify(path, payload);
    } catch (err) {
      if (err instanceof BadEvent) return refuse(400, 'bad-event', 'bad-event', err.message);
      throw err;
    }
    let duplicate: boolean;
    try {
      duplicate = (await ctx.batcher.append({ kind: path, idemKey: meta.idemKey, entryId: meta.entryId, rawJson: json })).duplicate;
    } catch (err) {
      // A data exception for this event alone (the batcher retries a failed batch row by row):
      // the event itself cannot be stored, and resending it will not change that.
      if (isDataError(err)) {
        ctx.log.warn({ reqId: req.id, path, reason: (err as Error).message }, 'webhook refused: the database cannot store its json');
        return refuse(400, 'bad-json', 'bad-json', `json cannot be stored: ${(err as Error).message}`);
      }
      ctx.log.error({ reqId: req.id, err, path }, 'webhook not stored: database write failed');
      count('failed');
      return refuse(503, 'failed', 'unavailable', 'event not stored, retry later');
    }
    if (path.startsWith('result/')) {
      // Also for a resent duplicate: applying is idempotent, and Mango's resend after a 503 here
      // is how the employee still hears of their command's outcome.
      try {
        ctx.hub.deliver(await applyCommandResult(ctx.db, path, payload as Record<string, unknown>, ctx.hub.instanceId));
      } catch (err) {
        ctx.log.error({ reqId: req.id, err, path }, 'command result stored but not applied');
        count('failed');
        return refuse(503, 'failed', 'unavailable', 'result not applied, retry later');
      }
    }
    ctx.journal.mark(req, duplicate ? 'duplicate' : 'stored');
    count(duplicate ? 'duplicate' : 'stored');
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
