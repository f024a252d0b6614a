import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import pkg from '../package.json' with { type: 'json' };
import type { RelayConfig } from './config';
import { createLogger, type Logger } from './log';
import { openDatabase } from './db/open';
import type { Db } from './db/db';
import { SecretBox } from './secrets';
import { MangoSettingsStore } from './mango/settings';
import { EventBatcher } from './ingest/batcher';
import { CallReducer } from './calls/worker';
import { Hub } from './hub/hub';
import { Metrics } from './metrics';
import { MangoServices } from './mango/services';
import { GroupSync } from './mango/group-sync';
import { ApiRouting } from './mango/api-routing';
import { Reconciler } from './mango/reconcile';
import { createEmployee } from './people/employees';
import { ApiFail } from './http/errors';
import type { RelayContext } from './http/context';
import { registerWebhookRoutes } from './http/routes/webhook';
import { registerPeopleRoutes } from './http/routes/people';
import { registerCallRoutes } from './http/routes/calls';
import { registerContactRoutes } from './http/routes/contacts';
import { registerAdminMangoRoutes } from './http/routes/admin-mango';
import type { Server as TlsServer } from 'node:tls';
import { installOps, prepareOps } from './ops/http';
import { renderMetrics } from './ops/metrics';
import { ConnectionTracker, gracefulHttpClose } from './ops/lifecycle';
import { WebhookJournal } from './ops/webhook-journal';

export interface Relay {
  app: FastifyInstance;
  ctx: RelayContext;
  url: string;
  port: number;
  /** Background Mango work: routingMode 'group' / 'api', reconciliation against stats. */
  groupSync: GroupSync;
  apiRouting: ApiRouting;
  reconciler: Reconciler;
  /** Re-reads TLS_CERT/TLS_KEY (SIGHUP) without dropping the listener; keeps the old pair on failure. */
  reloadTls(): { ok: boolean; error?: string };
  /** Graceful: stop accepting, answer in-flight requests, tell app sockets to reconnect, close. */
  close(): Promise<void>;
}

/** Builds and starts a relay: database + migrations, seeding, HTTP + WebSocket, reducer. */
export async function startRelay(config: RelayConfig, opts: { logger?: Logger; db?: Db } = {}): Promise<Relay> {
  const log = opts.logger ?? createLogger(config.logLevel);
  const ops = prepareOps(config, log);
  const db = opts.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const box = SecretBox.fromConfig(config.secretKey, config.dataDir);
  const settings = new MangoSettingsStore(db, box, { apiUrl: config.mangoApiUrl });
  await settings.start();
  await seed(db, settings, config, log);
  if ((await settings.get()).saltUnreadable) {
    log.error('the stored Mango salt cannot be decrypted: RELAY_SECRET_KEY differs from the key it was saved with; webhooks get 503 until the key is fixed or the salt is entered again in #/mango');
  }

  const metrics = new Metrics();
  const batcher = new EventBatcher(db);
  const reducer = new CallReducer(db, log);
  batcher.inTransaction = (q, batch, insertedCount) => reducer.reduceInline(q, batch, insertedCount);
  batcher.onDeferred = () => reducer.schedule();
  reducer.ingestBurst = () => batcher.inBurst;
  reducer.telephonyOn = async () => (await settings.get()).enabled;
  batcher.onInTransactionError = (err) => log.warn({ err }, 'inline call reduction failed; the batch is stored for the background reducer');
  const hub = new Hub(db, log, metrics);
  reducer.localFeed = hub;
  await hub.start();
  const mango = new MangoServices(db, settings, log, metrics);
  const groupSync = new GroupSync(db, settings, mango, log, { resyncEveryMs: config.reconcileEveryMs });
  const apiRouting = new ApiRouting(db, settings, mango, reducer, log);
  const reconciler = new Reconciler(db, settings, mango, reducer, log);
  const journal = new WebhookJournal(db, log);

  const app = Fastify(ops.fastifyOptions) as unknown as FastifyInstance;
  ops.tls?.attach(app.server as unknown as TlsServer);
  const tracker = new ConnectionTracker(app.server, ops.metrics);
  installOps(app, ops, log, journal);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  let port = config.port;
  const ctx: RelayContext = {
    config,
    db,
    log,
    batcher,
    reducer,
    settings,
    hub,
    mango,
    metrics,
    journal,
    webhookUrl: () => `${(config.publicUrl ?? `${ops.tls ? 'https' : 'http'}://localhost:${port}`).replace(/\/$/, '')}/api/mango-webhook/`,
  };

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiFail) return reply.code(err.status).send({ error: err.code, message: err.message, details: err.details });
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'too-large', message: 'Слишком большой запрос' });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: 'bad-request', message: e.message });
    log.error({ err, reqId: req.id, url: req.url.split('?')[0] }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'Внутренняя ошибка сервера' });
  });

  app.get('/healthz', async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { ok: true, db: db.kind, version: pkg.version };
    } catch {
      return reply.code(503).send({ ok: false });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4');
    return renderMetrics(db, metrics, ops.metrics, ops.tls);
  });
  registerWebhookRoutes(app, ctx);
  registerPeopleRoutes(app, ctx);
  registerCallRoutes(app, ctx);
  registerContactRoutes(app, ctx);
  registerAdminMangoRoutes(app, ctx);

  app.server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });

  await app.listen({ port: config.port, host: config.host });
  port = (app.server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `${ops.tls ? 'https' : 'http'}://${host}:${port}`;
  // Events committed before a crash but not yet reduced are reduced now.
  apiRouting.start();
  journal.start();
  reducer.schedule();
  groupSync.start();
  reconciler.start(config.reconcileEveryMs);
  log.info({ url, db: db.kind, tls: !!ops.tls, mangoAllowList: ops.allow?.entries ?? null }, 'relay started');

  let closed = false;
  return {
    app,
    ctx,
    url,
    port,
    groupSync,
    apiRouting,
    reconciler,
    reloadTls() {
      if (!ops.tls) return { ok: false, error: 'TLS is not configured (TLS_CERT, TLS_KEY)' };
      const r = ops.tls.reload();
      return r.ok ? { ok: true } : r;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([groupSync.stop(), reconciler.stop()]);
      await gracefulHttpClose({ app, tracker, closeSockets: () => hub.close(), graceMs: config.shutdownGraceMs, log });
      await reducer.whenIdle();
      await apiRouting.stop();
      await journal.stop();
      if (!opts.db) await db.close();
    },
  };
}

/** First start: Mango settings from MANGO_* and the first admin from ADMIN_*. */
async function seed(db: Db, settings: MangoSettingsStore, config: RelayConfig, log: Logger) {
  const has = (await db.query("SELECT 1 FROM settings WHERE key = 'mango'")).rows.length > 0;
  if (!has && (config.mangoApiKey || config.mangoApiSalt)) {
    await settings.update({ apiKey: config.mangoApiKey ?? '', apiSalt: config.mangoApiSalt ?? '', apiUrl: config.mangoApiUrl, enabled: true });
    log.info('Mango settings seeded from the environment');
  }
  if (config.adminLogin && config.adminPassword) {
    const admins = await db.query("SELECT 1 FROM employees WHERE role = 'admin'");
    if (admins.rows.length === 0) {
      await createEmployee(db, { login: config.adminLogin, name: 'Администратор', role: 'admin', password: config.adminPassword });
      log.info({ login: config.adminLogin }, 'first admin created');
    }
  }
}
