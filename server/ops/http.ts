import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RelayConfig } from '../config';
import type { Logger } from '../log';
import { IpAllowList } from './net';
import { genReqId } from './request-id';
import { OpsMetrics, webhookKind } from './metrics';
import { outcomeOfStatus, type WebhookJournal } from './webhook-journal';
import { TlsReloader, tlsFilesFromConfig } from './tls';

const MANGO_PREFIX = '/api/mango-webhook';
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

/** TLS, the allow-list and the options Fastify is built with, all checked before listening. */
export interface OpsSetup {
  tls: TlsReloader | null;
  allow: IpAllowList | null;
  metrics: OpsMetrics;
  /** Options for `Fastify(...)`: HTTPS (TLS 1.2+), trusted proxies, request ids, draining. */
  fastifyOptions: Record<string, unknown>;
}

export function prepareOps(config: RelayConfig, log: Logger): OpsSetup {
  const files = tlsFilesFromConfig(config);
  const tls = files ? TlsReloader.load(files, log) : null;
  const allow = config.mangoAllowedIps ? new IpAllowList(config.mangoAllowedIps) : null;
  return {
    tls,
    allow,
    metrics: new OpsMetrics(),
    fastifyOptions: {
      logger: false,
      bodyLimit: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      // x-request-id from the proxy (nginx $request_id) or the caller is kept when sane.
      requestIdHeader: false,
      genReqId,
      // During shutdown, requests already on an open connection are served (with Connection: close),
      // not refused: a webhook accepted is a webhook answered after its commit.
      return503OnClosing: false,
      // A client has this long to send a whole request (slow-loris guard when facing the internet).
      requestTimeout: 60_000,
      ...(tls ? { https: tls.initial } : {}),
    },
  };
}

function isMangoCallback(req: FastifyRequest, path: string): boolean {
  const route = req.routeOptions?.url;
  return (route !== undefined && route.startsWith(MANGO_PREFIX)) || path === MANGO_PREFIX || path.startsWith(MANGO_PREFIX + '/');
}

const refusedByOps = new WeakSet<FastifyRequest>();

/**
 * Request-level operations, registered before the routes:
 * - the source allow-list for Mango's callbacks (403 + one log line with ip and path);
 * - the request id: echoed as `x-request-id` and written on the access line and on the
 *   refusal and error lines; handlers put `req.id` on their own lines. (Binding it implicitly
 *   through AsyncLocalStorage was tried and measured: on Node 20 it cut webhook throughput
 *   markedly, so it is not done.)
 * - one access log line per request (path without query, status, time, client ip);
 * - refused callbacks (4xx before storing) counted by kind and reason;
 * - every callback's outcome counted in the admin's webhook journal.
 */
export function installOps(app: FastifyInstance, setup: OpsSetup, log: Logger, journal: WebhookJournal): void {
  const { allow, metrics } = setup;

  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    if (allow) {
      const path = req.url.split('?')[0];
      if (isMangoCallback(req, path) && !allow.allows(req.ip)) {
        refusedByOps.add(req);
        journal.mark(req, 'ip-not-allowed');
        metrics.refuse(webhookKind(path), 'ip-not-allowed');
        log.warn({ reqId: req.id, ip: req.ip, path: path.slice(0, 200) }, 'Mango callback refused: source address not in MANGO_ALLOWED_IPS');
        reply.code(403).send({ error: 'ip-not-allowed', message: 'source address not allowed' });
        return;
      }
    }
    done();
  });

  app.addHook('onResponse', (req, reply, done) => {
    const path = req.url.split('?')[0].slice(0, 200);
    const status = reply.statusCode;
    if (isMangoCallback(req, path)) {
      const kind = webhookKind(path);
      if (status >= 400 && status < 500 && !refusedByOps.has(req)) metrics.refuseStatus(kind, status);
      journal.record(req, kind, outcomeOfStatus(status));
    }
    const line = { reqId: req.id, method: req.method, path, status, ms: Math.round(reply.elapsedTime * 10) / 10, ip: req.ip };
    if (QUIET_PATHS.has(path) && status < 500) log.debug(line, 'request');
    else log.info(line, 'request');
    done();
  });
}
