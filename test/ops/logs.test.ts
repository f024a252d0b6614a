import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PASSWORD, callEvent, connectWs, jsonRequest, login, postSignedTo, request, signedForm, startOpsRelay, type OpsRelay } from './support';
import { TEST_MANGO_KEY, TEST_MANGO_SALT } from '../support/relay';
import { scrubSecrets } from '../../server/ops/log';

const NEW_SALT = 'ops-new-salt-Zq81vK';
const EMPLOYEE_PASSWORD = 'employee-pass-Hc44';
const SECRET_KEY = 'ops-relay-secret-key-Pp19';
const TYPED_SALT = 'ops-typed-salt-Wd52';

describe('structured JSON logs: request ids, and no secrets', () => {
  let r: OpsRelay;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    r = await startOpsRelay({ secretKey: SECRET_KEY }, { logLevel: 'trace' });
    Object.assign(secrets, { ADMIN_PASSWORD, EMPLOYEE_PASSWORD, TEST_MANGO_SALT, NEW_SALT, SECRET_KEY, TYPED_SALT });

    // A login, an employee created with a password, the employee's login.
    const adminToken = await login(r.url, 'admin', ADMIN_PASSWORD, { headers: { 'x-request-id': 'ops-req-login' } });
    secrets.adminToken = adminToken;
    expect((await jsonRequest(`${r.url}/api/admin/employees`, 'POST', { login: 'ivanov', name: 'Иванов', role: 'to', password: EMPLOYEE_PASSWORD }, { token: adminToken })).status).toBe(201);
    secrets.employeeToken = await login(r.url, 'ivanov', EMPLOYEE_PASSWORD);
    // A wrong password: refused, and the attempt is not logged with the password either.
    expect((await jsonRequest(`${r.url}/api/auth/login`, 'POST', { login: 'ivanov', password: 'wrong-pass-Yy73' })).status).toBe(401);
    secrets.wrongPassword = 'wrong-pass-Yy73';

    // Signed webhooks with the seeded salt, then a settings save with a new salt, then with that one.
    const e1 = callEvent('log');
    secrets.sign1 = signedForm(e1).sign;
    expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, e1)).status).toBe(200);
    const save = await jsonRequest(`${r.url}/api/admin/mango`, 'PUT', { apiKey: TEST_MANGO_KEY, apiSalt: NEW_SALT }, { token: adminToken, headers: { 'x-request-id': 'ops-req-settings' } });
    expect(save.status).toBe(200);
    expect(save.body).not.toContain(NEW_SALT);
    const e2 = callEvent('log');
    secrets.sign2 = signedForm(e2, TEST_MANGO_KEY, NEW_SALT).sign;
    expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, e2, { salt: NEW_SALT })).status).toBe(200);
    expect((await postSignedTo(`${r.url}/api/mango-webhook/ping`, {}, { salt: NEW_SALT })).status).toBe(200);
    // «Тест подключения» of a salt typed and not saved (Mango unreachable here: a failed test).
    const draft = await jsonRequest(`${r.url}/api/admin/mango/test`, 'POST', { apiSalt: TYPED_SALT, apiUrl: 'http://127.0.0.1:9/vpbx/' }, { token: adminToken });
    expect(draft.status).toBe(200);
    expect(draft.body).not.toContain(TYPED_SALT);
    // A bad signature is logged (path, ip) — not the sign.
    const e3 = callEvent('log');
    secrets.sign3 = signedForm(e3).sign;
    expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, e3, { headers: { 'x-request-id': 'ops-req-badsign' } })).status).toBe(403);
    // The token on the WebSocket subprotocol and in an Authorization header of a failing request.
    const c = await connectWs(r.url, secrets.employeeToken);
    await c.waitFor((m) => m.some((x) => x.type === 'synced'), 'synced');
    c.ws.close();
    expect((await jsonRequest(`${r.url}/api/admin/employees`, 'GET', undefined, { token: secrets.employeeToken })).status).toBe(403);
    await jsonRequest(`${r.url}/api/auth/logout`, 'POST', {}, { token: secrets.employeeToken });
    await r.relay.close(); // shutdown lines too
  });
  afterAll(async () => {
    await r?.close();
  });

  it('writes one JSON object per line with level, time, service and message', () => {
    const lines = r.logs.lines();
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) {
      expect(l).toMatchObject({ service: 'asgard-relay' });
      expect(typeof l.level).toBe('number');
      expect(typeof l.time).toBe('string');
      expect(typeof l.msg).toBe('string');
    }
  });

  it('contains no password, salt, token, sign or server key anywhere', () => {
    const text = r.logs.text;
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(5);
      expect(text.includes(value), `${name} leaked into the log`).toBe(false);
    }
    const keyFile = join(r.relay.ctx.config.dataDir, 'relay-secret.key');
    try {
      expect(text.includes(readFileSync(keyFile, 'utf8').trim())).toBe(false);
    } catch {
      /* RELAY_SECRET_KEY given: no key file */
    }
    // Request lines carry paths without query strings and no headers or bodies.
    for (const l of r.logs.find('request')) {
      expect(Object.keys(l).sort()).toEqual(['ip', 'level', 'method', 'ms', 'msg', 'path', 'pid', 'reqId', 'service', 'status', 'time'].sort());
    }
  });

  it('puts the request id on the access line of each request, on refusals and on handler lines', () => {
    const access = r.logs.find('request').find((l) => l.reqId === 'ops-req-login');
    expect(access).toMatchObject({ method: 'POST', path: '/api/auth/login', status: 200 });
    expect(r.logs.find('request').find((l) => l.reqId === 'ops-req-settings')).toMatchObject({ method: 'PUT', path: '/api/admin/mango', status: 200 });
    expect(r.logs.find('request').find((l) => l.reqId === 'ops-req-badsign')).toMatchObject({ path: '/api/mango-webhook/events/call', status: 403, ip: '127.0.0.1' });
    expect(r.logs.find(/wrong key or sign/)[0]).toMatchObject({ ip: '127.0.0.1', path: 'events/call', reqId: 'ops-req-badsign' });
    // The handlers' own lines carry it too.
    expect(r.logs.find('login').find((l) => l.reqId === 'ops-req-login')).toBeDefined();
    expect(r.logs.find('Mango settings updated')[0]).toMatchObject({ reqId: 'ops-req-settings' });
    // Every request has exactly one access line, each with its own id.
    const ids = r.logs.find('request').map((l) => l.reqId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.logs.find('relay started')[0].reqId).toBeUndefined();
  });
});

describe('request ids', () => {
  let r: OpsRelay;
  beforeAll(async () => {
    r = await startOpsRelay();
  });
  afterAll(async () => {
    await r?.close();
  });

  it('passes a sane x-request-id through, replaces anything else, and echoes it', async () => {
    const kept = await request(`${r.url}/healthz`, { headers: { 'x-request-id': 'nginx-3f2a9c' } });
    expect(kept.headers['x-request-id']).toBe('nginx-3f2a9c');
    const long = await request(`${r.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(300) } });
    expect(long.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await request(`${r.url}/healthz`, { headers: { 'x-request-id': 'a"b{c}' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await request(`${r.url}/healthz`);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers['x-request-id']).not.toBe(odd.headers['x-request-id']);
  });

  it('keeps concurrent requests apart', async () => {
    const res = await Promise.all(
      Array.from({ length: 8 }, (_, i) => request(`${r.url}/${i % 2 ? 'healthz' : 'api/me'}`, { headers: { 'x-request-id': `par-${i}` } })),
    );
    res.forEach((x, i) => expect(x.headers['x-request-id']).toBe(`par-${i}`));
    for (let i = 0; i < 8; i++) {
      const line = r.logs.lines().find((l) => l.msg === 'request' && l.reqId === `par-${i}`);
      expect(line).toMatchObject(i % 2 ? { path: '/healthz', status: 200 } : { path: '/api/me', status: 401 });
    }
  });
});

describe('scrubSecrets', () => {
  it('censors secret keys at any depth, leaves the rest and errors alone', () => {
    const err = new Error('boom');
    const out = scrubSecrets({ a: 1, password: 'p', nested: { apiSalt: 's', deeper: [{ token: 't', sign: 'x', ok: 'y' }] }, headers: { authorization: 'Bearer z' }, err }) as Record<string, unknown>;
    expect(out).toEqual({ a: 1, password: '[redacted]', nested: { apiSalt: '[redacted]', deeper: [{ token: '[redacted]', sign: '[redacted]', ok: 'y' }] }, headers: { authorization: '[redacted]' }, err });
    expect((out as { err: unknown }).err).toBe(err);
    const same = { a: 1, b: { c: 2 } };
    expect(scrubSecrets(same)).toBe(same);
  });
});
