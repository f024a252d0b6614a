// Fake Mango VPBX API on loopback (plain node:http). Checks key (3105), sign (3102), JSON
// (3400/3104) and required fields (3103), answering the modern way: HTTP 200 {"result":code}.
//
// Fault 'apiDisabled' (API not activated in the cabinet; nothing public shows the real
// answer): we reply HTTP 403 with {"result":3105,"description":"API is not activated"} —
// distinct from the lockout's bare HTTP 401, so a client can tell the two apart.
import http from 'node:http';
import { RATE_LIMIT_BODY, RESULT, isBadRequestCode } from './codes';
import { createIdSource } from './ids';
import { parseSignedForm, verifySign } from './sign';
import { addCallRecord, createState, type MangoState } from './api-state';
import { emptyReply, fail, jsonReply, toDoc110Error, type Reply } from './api-reply';
import type { Handler, HandlerContext } from './api-context';
import { isObject } from './api-validate';
import { Lockout, RateLimiter } from './api-guards';
import { LiveCalls } from './live-calls';
import { StatsJobs, statsRequest, statsResult } from './api-stats';
import { FILES_PREFIX, OneShotLinks, recordingPost, serveFile } from './api-recordings';
import { balance, groupUpdate, groupsRequest, usersRequest } from './api-config';
import { callback, hangup, recordingStart, route, transfer } from './api-commands';
import { deliver, deliverPaced, type RetryPolicy } from './deliver';
import type { CallRecord, SimEvent, TransferSpelling, TypeVariant } from './types';

export type MangoFault = 'timeout' | 'http500' | 'rateLimit' | 'apiDisabled';

export interface WebhookSettings {
  concurrency?: number;
  shuffle?: boolean;
  retry?: RetryPolicy;
  typeVariant?: TypeVariant;
  /** >0 paces events by their timestamps (1 = real time); 0 sends at once (default). */
  timeScale?: number;
}

export interface MangoApiOptions {
  apiKey: string;
  apiSalt: string;
  /** 0 or omitted = a free port. */
  port?: number;
  host?: '127.0.0.1' | '::1' | 'localhost';
  /** HTTP 401 for 2 minutes after more than one 3xxx answer in 2 minutes (§1.4). */
  lockout?: boolean;
  /** Per-product rate limits of §1.5, answered with HTTP 429. */
  rateLimits?: boolean;
  /** 'modern' (default): HTTP 200 {"result":N}; 'doc110': HTTP 420 {"code":N}. */
  errorStyle?: 'modern' | 'doc110';
  state?: Partial<MangoState>;
  /** Clock in ms (tests move it to expire the lockout). */
  now?: () => number;
  seed?: number;
  webhookTarget?: string;
  webhook?: WebhookSettings;
  transferSpelling?: TransferSpelling;
  /** Called after each API request is answered (the CLI prints them). */
  onRequest?: (entry: ApiRequestLog) => void;
}

export interface ApiRequestLog {
  path: string;
  method: string;
  /** Parsed json parameter (undefined if absent or unparsable). */
  json: unknown;
  time: number;
  status: number;
  result?: number;
}

export interface WebhookLogEntry {
  path: string;
  payload: Record<string, unknown>;
  status: number | 'error' | 'timeout' | 'not-sent';
}

export interface MangoApi {
  /** Base like http://127.0.0.1:PORT/vpbx/ */
  url: string;
  origin: string;
  port: number;
  state: MangoState;
  requests: ApiRequestLog[];
  webhooks: WebhookLogEntry[];
  live: LiveCalls;
  setFault(fault: MangoFault | null): void;
  /** Force a result code on a path: sync (default) or, for commands, in result/<cmd>. */
  setResult(path: string, result: number | null, opts?: { async?: boolean }): void;
  setWebhookTarget(baseUrl: string | null): void;
  startIncomingCall(opts?: { from?: string; lineNumber?: string; location?: 'ivr' | 'queue' }): { entryId: string; callId: string };
  endCall(entryId: string, reason?: number): boolean;
  /** Adds a stats row (a CallRecord or a scenario's events with .record). */
  addCall(call: CallRecord | { record: CallRecord }): void;
  /** Resolves when every webhook in flight has been answered or given up. */
  flush(): Promise<void>;
  resetLockout(): void;
  close(): Promise<void>;
}

const HANDLERS: Record<string, Handler> = {
  'account/balance': balance,
  'config/users/request': usersRequest,
  groups: groupsRequest,
  'group/update': groupUpdate,
  'commands/callback': callback,
  'commands/route': route,
  'commands/call/hangup': hangup,
  'commands/transfer': transfer,
  'commands/recording/start': recordingStart,
  'stats/request': statsRequest,
  'stats/result': statsResult,
  'queries/recording/post': recordingPost,
};

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.contentType) headers['content-type'] = reply.contentType;
  headers['content-length'] = reply.body === undefined ? 0 : Buffer.byteLength(reply.body);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

export async function startMangoApi(opts: MangoApiOptions): Promise<MangoApi> {
  const host = opts.host ?? '127.0.0.1';
  const nowMs = opts.now ?? Date.now;
  const ids = createIdSource({ seed: opts.seed });
  const state = createState(opts.state);
  const requests: ApiRequestLog[] = [];
  const webhooks: WebhookLogEntry[] = [];
  const lockout = new Lockout();
  const limiter = new RateLimiter();
  const stats = new StatsJobs(ids);
  const links = new OneShotLinks(ids);
  const overrides = new Map<string, { code: number; async: boolean }>();
  const held = new Set<http.ServerResponse>();
  const pending = new Set<Promise<unknown>>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let fault: MangoFault | null = null;
  let webhookTarget: string | null = opts.webhookTarget ?? null;
  let closed = false;

  const emit = (events: SimEvent[]) => {
    const target = webhookTarget;
    if (!target || closed) {
      for (const e of events) webhooks.push({ path: e.path, payload: e.payload, status: 'not-sent' });
      return;
    }
    const w = opts.webhook ?? {};
    const deliverOpts = {
      apiKey: opts.apiKey,
      apiSalt: opts.apiSalt,
      agent,
      concurrency: w.concurrency ?? 2,
      shuffle: w.shuffle,
      retry: w.retry ?? { attempts: 3, backoffMs: 100 },
      typeVariant: w.typeVariant,
      onResult: (r: { event: SimEvent; status: WebhookLogEntry['status'] }) =>
        webhooks.push({ path: r.event.path, payload: r.event.payload, status: r.status }),
    };
    // Deferred so the synchronous HTTP answer leaves before the webhooks it causes.
    const p = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      (w.timeScale ?? 0) > 0
        ? deliverPaced(target, events, { ...deliverOpts, timeScale: w.timeScale ?? 0 })
        : deliver(target, events, deliverOpts),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const live = new LiveCalls({
    state,
    ids,
    nowSec: () => Math.floor(nowMs() / 1000),
    emit,
    transferSpelling: opts.transferSpelling,
  });

  let origin = '';

  const handleApi = (apiPath: string, method: string, body: string, log: ApiRequestLog): Reply | 'hold' => {
    if (fault === 'timeout') return 'hold';
    if (fault === 'http500') return emptyReply(500);
    if (fault === 'rateLimit') return jsonReply(RATE_LIMIT_BODY, 429);
    if (fault === 'apiDisabled') return jsonReply({ result: RESULT.badKey, description: 'API is not activated' }, 403);
    const now = nowMs();
    if (opts.lockout && lockout.isLocked(now)) return emptyReply(401);
    if (opts.rateLimits && !limiter.allow(apiPath, now)) return jsonReply(RATE_LIMIT_BODY, 429);

    const reply = authorizeAndRun(apiPath, method, body, log);
    if (opts.lockout && reply.result !== undefined && isBadRequestCode(reply.result) && lockout.recordBadRequest(now)) {
      return emptyReply(401);
    }
    return opts.errorStyle === 'doc110' ? toDoc110Error(reply) : reply;
  };

  const authorizeAndRun = (apiPath: string, method: string, body: string, log: ApiRequestLog): Reply => {
    const handler = HANDLERS[apiPath];
    if (!handler) return emptyReply(404);
    if (method !== 'POST') return fail(RESULT.notPost);
    const form = parseSignedForm(body);
    if (form.vpbx_api_key !== opts.apiKey) return fail(RESULT.badKey);
    if (form.json === undefined) return fail(RESULT.missingParam);
    if (!form.sign || !verifySign(opts.apiKey, form.json, opts.apiSalt, form.sign)) return fail(RESULT.badSign);
    let json: unknown;
    try {
      json = JSON.parse(form.json);
    } catch {
      return fail(RESULT.invalidJson);
    }
    log.json = json;
    if (!isObject(json)) return fail(RESULT.badFormat);

    const forced = overrides.get(apiPath);
    if (forced && !forced.async) return forced.code === RESULT.ok ? jsonReply({ result: forced.code }) : fail(forced.code);
    if (forced && forced.async && apiPath.startsWith('commands/')) {
      const commandId = typeof json.command_id === 'string' ? json.command_id : String(json.command_id ?? '');
      emit([{ path: `result/${apiPath.slice('commands/'.length)}`, payload: { command_id: commandId, result: forced.code } }]);
      return jsonReply({ result: RESULT.ok });
    }
    const ctx: HandlerContext = { json, state, nowMs, live, stats, links, origin };
    return handler(ctx);
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path.startsWith(FILES_PREFIX)) {
      await readBody(req);
      return send(res, req.method === 'GET' ? serveFile(links, path.slice(FILES_PREFIX.length), nowMs()) : emptyReply(405));
    }
    if (!path.startsWith('/vpbx/')) {
      await readBody(req);
      return send(res, emptyReply(404));
    }
    const apiPath = path.slice('/vpbx/'.length).replace(/\/+$/, '');
    const body = await readBody(req);
    const log: ApiRequestLog = { path: apiPath, method: req.method ?? '', json: undefined, time: nowMs(), status: 0 };
    requests.push(log);
    if (body === null) {
      log.status = 413;
      return send(res, emptyReply(413));
    }
    let reply: Reply | 'hold';
    try {
      reply = handleApi(apiPath, req.method ?? '', body, log);
    } catch (e) {
      console.error('[mango-sim] handler error', e);
      reply = emptyReply(500);
    }
    if (reply === 'hold') {
      // 'timeout' fault: keep the socket open and never answer.
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    log.status = reply.status;
    log.result = reply.result;
    send(res, reply);
    opts.onRequest?.(log);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  origin = `http://${host === '::1' ? '[::1]' : host}:${port}`;

  return {
    url: `${origin}/vpbx/`,
    origin,
    port,
    state,
    requests,
    webhooks,
    live,
    setFault(f) {
      fault = f;
      if (f !== 'timeout') for (const res of held) res.destroy();
    },
    setResult(path, result, o = {}) {
      const key = path.replace(/^\/?(vpbx\/)?/, '').replace(/\/+$/, '');
      if (result === null) overrides.delete(key);
      else overrides.set(key, { code: result, async: o.async ?? false });
    },
    setWebhookTarget(baseUrl) {
      webhookTarget = baseUrl;
    },
    startIncomingCall: (o) => live.startIncoming(o),
    endCall: (entryId, reason) => live.endCall(entryId, reason),
    addCall(call) {
      addCallRecord(state, 'record' in call ? call.record : call);
    },
    async flush() {
      // Deliveries may enqueue more (bounded: each round only waits on what exists).
      for (let round = 0; round < 100 && pending.size > 0; round++) await Promise.allSettled([...pending]);
    },
    resetLockout: () => lockout.reset(),
    async close() {
      closed = true;
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
