import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import WebSocket from 'ws';
import { configFromEnv, type RelayConfig } from '../../server/config';
import { startRelay, type Relay } from '../../server/relay';
import { createRelayLogger } from '../../server/ops/log';
import { createTestDatabase } from '../support/pg';
import { TEST_MANGO_KEY, TEST_MANGO_SALT } from '../support/relay';
import { ServerMessageSchema, WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../../src-shared/wire';

export const ADMIN_PASSWORD = 'admin-password-Ops-7f3c';

// ---------------------------------------------------------------- certificates (openssl)

export interface TestCa {
  dir: string;
  caFile: string;
  ca: Buffer;
  /** Issues a server certificate for localhost/127.0.0.1/::1 signed by this CA. */
  issue(name: string): { certFile: string; keyFile: string; cert: Buffer; key: Buffer };
}

export function makeCa(dir: string, cn = 'ASGARD Test CA'): TestCa {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const run = (args: string[]) => {
    try {
      return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl is not installed: run `npm run setup:test`');
      throw err;
    }
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '3', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n');
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    issue(name) {
      const keyFile = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const certFile = join(dir, `${name}.crt`);
      run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=localhost/O=${name}`]);
      run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext]);
      return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
    },
  };
}

// ---------------------------------------------------------------- logs

/** A pino destination keeping every line, for assertions on what the relay logs. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.text += chunk.toString('utf8');
    cb();
  }
  lines(): Array<Record<string, unknown>> {
    return this.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  find(msg: string | RegExp): Array<Record<string, unknown>> {
    return this.lines().filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
  }
}

// ---------------------------------------------------------------- relay on a fresh database

export interface OpsRelay {
  relay: Relay;
  url: string;
  databaseUrl: string;
  logs: LogCapture;
  /** Rows in mango_events with this idempotency-key fragment (through a separate connection). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A real relay in-process (server/relay.ts startRelay) on its own Postgres database, with the
 * production logger (server/ops/log.ts) writing into a capture. Unlike test/support/relay.ts it
 * does not log in over plain fetch, so it also works with TLS.
 */
export async function startOpsRelay(env: Partial<RelayConfig> = {}, opts: { logLevel?: string; databaseUrl?: string } = {}): Promise<OpsRelay> {
  // An existing database (opts.databaseUrl) is used and left in place; otherwise a fresh one is made and dropped.
  const db = opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => {} } : await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'asgard-ops-'));
  const config: RelayConfig = {
    ...configFromEnv({}),
    port: 0,
    host: '127.0.0.1',
    databaseUrl: db.url,
    dataDir,
    mangoApiKey: TEST_MANGO_KEY,
    mangoApiSalt: TEST_MANGO_SALT,
    adminLogin: 'admin',
    adminPassword: ADMIN_PASSWORD,
    reconcileEveryMs: 0,
    ...env,
  };
  const logs = new LogCapture();
  let relay: Relay;
  try {
    relay = await startRelay(config, { logger: createRelayLogger(opts.logLevel ?? 'debug', logs) });
  } catch (err) {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let closed = false;
  return {
    relay,
    url: relay.url,
    databaseUrl: db.url,
    logs,
    async sql<T>(text: string, params?: unknown[]) {
      return (await client.query(text, params)).rows as T[];
    },
    async close() {
      if (closed) return;
      closed = true;
      await relay.close();
      await client.end();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- HTTP(S) without fetch

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = unknown>(): T;
}

export interface ReqOpts {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: Buffer;
  localAddress?: string;
  agent?: http.Agent | false;
  servername?: string;
}

/** http(s).request: a CA to verify against, a loopback source address, an agent of choice. */
export function request(url: string, o: ReqOpts = {}): Promise<Res> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: o.method ?? 'GET',
        headers: { ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}), ...o.headers },
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        ...(o.agent !== undefined ? { agent: o.agent } : {}),
        ...(o.servername ? { servername: o.servername } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

export function jsonRequest(url: string, method: string, body: unknown, o: ReqOpts & { token?: string } = {}): Promise<Res> {
  return request(url, {
    ...o,
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
  });
}

export async function login(baseUrl: string, loginName: string, password: string, o: ReqOpts = {}): Promise<string> {
  const r = await jsonRequest(`${baseUrl}/api/auth/login`, 'POST', { login: loginName, password }, o);
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.body}`);
  return r.json<{ token: string }>().token;
}

/** Mango's form body: vpbx_api_key, sign = sha256(key + json + salt), json. */
export function signedForm(payload: object, key = TEST_MANGO_KEY, salt = TEST_MANGO_SALT): { body: string; sign: string; json: string } {
  const json = JSON.stringify(payload);
  const sign = createHash('sha256').update(key + json + salt).digest('hex');
  return { body: new URLSearchParams({ vpbx_api_key: key, sign, json }).toString(), sign, json };
}

export function postSignedTo(url: string, payload: object, o: ReqOpts & { key?: string; salt?: string } = {}): Promise<Res> {
  const f = signedForm(payload, o.key, o.salt);
  return request(url, { ...o, method: 'POST', body: f.body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...o.headers } });
}

let seq = 0;
/** A distinct, valid events/call payload (Appeared in the IVR). */
export function callEvent(tag: string, n = ++seq): Record<string, unknown> {
  return {
    entry_id: `OPS-${tag}-E${n}`,
    call_id: `OPS-${tag}-C${n}`,
    timestamp: 1_700_000_000 + n,
    seq: 1,
    call_state: 'Appeared',
    location: 'ivr',
    from: { number: '79161234567' },
    to: { number: '74951234567', line_number: '74951234567' },
  };
}

// ---------------------------------------------------------------- WebSocket

export interface WsClient {
  ws: WebSocket;
  messages: ServerMessage[];
  closeCode: number | null;
  waitFor(pred: (m: ServerMessage[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  waitClosed(timeoutMs?: number): Promise<number>;
}

/** Connects to /api/ws (ws:// or wss:// with a CA), authenticates by subprotocol and says hello. */
export async function connectWs(baseUrl: string, token: string, o: { ca?: Buffer; localAddress?: string } = {}): Promise<WsClient> {
  const url = baseUrl.replace(/^http/, 'ws') + '/api/ws';
  const ws = new WebSocket(url, [WS_PROTOCOL, WS_TOKEN_PREFIX + token], { ...(o.ca ? { ca: o.ca } : {}), ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  const c: WsClient = {
    ws,
    messages: [],
    closeCode: null,
    waitFor(pred, what, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
          if (pred(c.messages)) return resolve();
          if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(c.messages).slice(0, 500)}`));
          setTimeout(tick, 10);
        };
        tick();
      });
    },
    waitClosed(timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        if (c.closeCode !== null) return resolve(c.closeCode);
        const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
        ws.once('close', (code) => {
          clearTimeout(t);
          resolve(code);
        });
      });
    },
  };
  ws.on('message', (d) => c.messages.push(ServerMessageSchema.parse(JSON.parse(String(d)))));
  ws.on('close', (code) => (c.closeCode = code));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', lastId: 0 }));
  return c;
}

export function tmpDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Reads the /metrics page and returns the value of one sample (exact name with labels), or null. */
export function metricValue(page: string, sample: string): number | null {
  for (const line of page.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    if (line.slice(0, i) === sample) return Number(line.slice(i + 1));
  }
  return null;
}
