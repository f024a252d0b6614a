import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, type RelayConfig } from '../../server/config';
import { startRelay, type Relay } from '../../server/relay';
import { createLogger } from '../../server/log';
import { createTestDatabase } from './pg';
import type { Employee, LoginResponse } from '../../src-shared/wire';
import type { Role } from '../../src-shared/roles';

export const TEST_MANGO_KEY = 'test-vpbx-key';
export const TEST_MANGO_SALT = 'test-vpbx-salt';

export interface TestRelay {
  relay: Relay;
  url: string;
  webhookBase: string;
  databaseUrl: string | null;
  adminToken: string;
  /** Calls the relay's JSON API; throws on non-2xx with the body attached. */
  api<T = unknown>(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }>;
  createEmployee(e: { login: string; name?: string; role: Role; extension?: string | null; password?: string; acceptCalls?: boolean }): Promise<{ employee: Employee; token: string }>;
  login(login: string, password: string): Promise<LoginResponse>;
  /** Waits until every committed event is reduced into calls and feed items. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real relay in-process on a fresh Postgres database (or embedded PGlite with
 * `{pglite: true}`), Mango credentials seeded, one admin logged in.
 */
export async function startTestRelay(opts: { pglite?: boolean; env?: Partial<RelayConfig>; databaseUrl?: string } = {}): Promise<TestRelay> {
  const db = opts.pglite || opts.databaseUrl ? null : await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'asgard-relay-'));
  const config: RelayConfig = {
    ...configFromEnv({}),
    port: 0,
    host: '127.0.0.1',
    databaseUrl: opts.databaseUrl ?? db?.url ?? null,
    dataDir,
    mangoApiKey: TEST_MANGO_KEY,
    mangoApiSalt: TEST_MANGO_SALT,
    adminLogin: 'admin',
    adminPassword: 'admin-password',
    reconcileEveryMs: 0,
    // One key for every test relay: instances sharing a database must decrypt each other's salt.
    secretKey: 'test-relay-secret-key',
    ...opts.env,
  };
  const relay = await startRelay(config, { logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  const url = relay.url;

  async function api<T>(method: string, path: string, token: string | null, body?: unknown) {
    const res = await fetch(url + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }
  async function login(l: string, p: string) {
    const r = await api<LoginResponse>('POST', '/api/auth/login', null, { login: l, password: p });
    if (r.status !== 200) throw new Error(`login ${l} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const admin = await login('admin', 'admin-password');

  return {
    relay,
    url,
    webhookBase: `${url}/api/mango-webhook/`,
    databaseUrl: config.databaseUrl,
    adminToken: admin.token,
    api,
    login,
    async createEmployee(e) {
      const password = e.password ?? 'password-' + e.login;
      const r = await api<Employee>('POST', '/api/admin/employees', admin.token, { name: e.name ?? e.login, password, ...e });
      if (r.status !== 201) throw new Error(`create employee failed: ${r.status} ${JSON.stringify(r.body)}`);
      const s = await login(e.login, password);
      return { employee: r.body, token: s.token };
    },
    async settle() {
      for (let i = 0; i < 200; i++) {
        await relay.ctx.reducer.whenIdle();
        const n = await relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reduce_queue');
        if (Number(n.rows[0].n) === 0 && relay.ctx.batcher.pending === 0) return;
        relay.ctx.reducer.schedule();
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('relay did not settle');
    },
    async close() {
      await relay.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
