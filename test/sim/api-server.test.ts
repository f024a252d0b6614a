import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim/api-server';
import { incomingAnswered } from '../../tools/mango-sim/scenarios';
import { mangoSign } from '../../tools/mango-sim/sign';
import { KEY, SALT, post } from './helpers';

let api: MangoApi;

beforeAll(async () => {
  api = await startMangoApi({ apiKey: KEY, apiSalt: SALT, port: 0 });
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  api.setFault(null);
});

describe('authentication', () => {
  it('listens on loopback with a /vpbx/ base', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/vpbx\/$/);
  });

  it('rejects a bad sign with 3102', async () => {
    const r = await post(api.url, 'account/balance', {}, { salt: 'wrong-salt' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ result: 3102 });
  });

  it('rejects an unknown key with 3105', async () => {
    const r = await post(api.url, 'account/balance', {}, { key: 'other-key' });
    expect(r.json).toEqual({ result: 3105 });
  });

  it('answers invalid JSON with 3400 and missing fields with 3103', async () => {
    const bad = '{"command_id":';
    const body = new URLSearchParams({ vpbx_api_key: KEY, sign: mangoSign(KEY, bad, SALT), json: bad }).toString();
    expect((await post(api.url, 'commands/callback', '', { body })).json).toEqual({ result: 3400 });
    expect((await post(api.url, 'commands/callback', { command_id: 'c1' })).json).toEqual({ result: 3103 });
  });

  it('logs requests with their parsed json', async () => {
    const before = api.requests.length;
    await post(api.url, 'account/balance', {});
    const entry = api.requests[before];
    expect(entry.path).toBe('account/balance');
    expect(entry.json).toEqual({});
    expect(entry.status).toBe(200);
    expect(entry.result).toBe(1000);
  });
});

describe('account and configuration', () => {
  it('answers balance with result, balance, currency and response_at', async () => {
    const r = await post(api.url, 'account/balance', {});
    expect(r.json.result).toBe(1000);
    expect(r.json.balance).toBe(api.state.balance);
    expect(r.json.currency).toBe('RUB');
    expect(r.json.response_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('lists users without a result field, filters by extension, honours ext_fields', async () => {
    const all = await post(api.url, 'config/users/request', {});
    expect(all.json).not.toHaveProperty('result');
    expect(all.json.users).toHaveLength(api.state.users.length);
    expect(all.json.users[0].general).not.toHaveProperty('user_id');

    const one = await post(api.url, 'config/users/request', { extension: '101', ext_fields: ['general.user_id', 'general.sips', 'groups'] });
    expect(one.json.users).toHaveLength(1);
    const u = one.json.users[0];
    expect(u.telephony.extension).toBe('101');
    expect(u.general.user_id).toBe(400000101);
    expect(u.general.sips[0].number).toMatch(/@vpbx400000001\.mangosip\.ru$/);
    expect(u.groups).toContain(1001);

    const none = await post(api.url, 'config/users/request', { extension: '999' });
    expect(none.json).toEqual({ users: [] });
  });

  it('group/update replaces the whole operator list', async () => {
    const before = await post(api.url, 'groups', { show_users: 1 });
    const to = before.json.groups.find((g: any) => g.extension === '22');
    expect(to.operators.map((o: any) => o.id)).toEqual([400000101, 400000102, 400000103]);

    const upd = await post(api.url, 'group/update', { group_id: String(to.id), group: { operators: [{ id: '400000105' }] } });
    expect(upd.json).toEqual({ result: 1000 });
    const after = await post(api.url, 'groups', { show_users: 1, group_id: to.id });
    expect(after.json.groups[0].operators.map((o: any) => o.id)).toEqual([400000105]);
    expect(api.state.users.find((u) => u.extension === '101')!.groups).not.toContain(to.id);

    const noUsers = await post(api.url, 'groups', {});
    expect(noUsers.json.groups[0]).not.toHaveProperty('operators');

    const unknown = await post(api.url, 'group/update', { group_id: '999999', group: { operators: [] } });
    expect(Math.floor(unknown.json.result / 100)).toBe(33);
    const missing = await post(api.url, 'group/update', { group_id: String(to.id) });
    expect(missing.json.result).toBe(3103);
  });
});

describe('statistics', () => {
  it('stats/request gives a key with + / =, stats/result answers 204 then CSV with \\r\\n and entry_id', async () => {
    const call = incomingAnswered({ seed: 7, start: 1_700_000_000, withRecording: true });
    api.addCall(call);
    const req = await post(api.url, 'stats/request', {
      date_from: '1699999000',
      date_to: '1700001000',
      fields: 'records,start,finish,answer,from_number,to_extension,disconnect_reason,entry_id',
    });
    const key: string = req.json.key;
    expect(key).toMatch(/\+/);
    expect(key).toMatch(/\//);
    expect(key).toMatch(/=$/);

    const first = await post(api.url, 'stats/result', { key });
    expect(first.status).toBe(204);
    const csv = await post(api.url, 'stats/result', { key });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text.endsWith('\r\n')).toBe(true);
    const lines = csv.text.split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const cells = lines[0].split(';');
    expect(cells).toHaveLength(8);
    expect(cells[0]).toBe(`[${call.outcome.recordingIds.join(',')}]`);
    expect(cells[1]).toBe('1700000000');
    expect(cells[4]).toBe('79161234567');
    expect(cells[5]).toBe('101');
    expect(cells[6]).toBe('1110');
    expect(cells[7]).toBe(call.entryId);
  });

  it('accepts fields as an array, excludes calls outside the period, 404s an unknown key', async () => {
    const req = await post(api.url, 'stats/request', { date_from: 1, date_to: 1000, fields: ['entry_id', 'start'] });
    await post(api.url, 'stats/result', { key: req.json.key });
    const csv = await post(api.url, 'stats/result', { key: req.json.key });
    expect(csv.status).toBe(200);
    expect(csv.text).toBe('');
    expect((await post(api.url, 'stats/result', { key: 'bm8tc3VjaC1rZXk=' })).status).toBe(404);
    expect((await post(api.url, 'stats/request', { date_from: 1, date_to: 2, fields: 'nope' })).json.result).toBe(3104);
  });
});

describe('recordings', () => {
  it('redirects to a one-shot audio link that works once, then 404', async () => {
    const call = incomingAnswered({ seed: 8, withRecording: true });
    api.addCall(call);
    const recId = call.outcome.recordingIds[0];
    const r = await post(api.url, 'queries/recording/post', { recording_id: recId, action: 'download' });
    expect(r.status).toBe(302);
    const location = r.headers.get('location')!;
    expect(location.startsWith(api.origin)).toBe(true);

    const audio = await fetch(location);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = Buffer.from(await audio.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes[0]).toBe(0xff);
    expect(bytes[1] & 0xe0).toBe(0xe0); // MPEG frame sync

    expect((await fetch(location)).status).toBe(404);
  });

  it('answers 3320 for an unknown recording', async () => {
    const r = await post(api.url, 'queries/recording/post', { recording_id: 'unknown', action: 'play' });
    expect(r.json).toEqual({ result: 3320 });
  });
});

describe('faults and overrides', () => {
  it('answers 429 with the exact Mango body', async () => {
    api.setFault('rateLimit');
    const r = await post(api.url, 'account/balance', {});
    expect(r.status).toBe(429);
    expect(r.json).toEqual({ name: 'Service Unavailable', message: 'Rate limit exceeded.', code: 0, status: 429 });
  });

  it('answers http500 and apiDisabled', async () => {
    api.setFault('http500');
    expect((await post(api.url, 'account/balance', {})).status).toBe(500);
    api.setFault('apiDisabled');
    const r = await post(api.url, 'account/balance', {});
    expect(r.status).toBe(403);
    expect(r.json.result).toBe(3105);
  });

  it('never answers under the timeout fault', async () => {
    api.setFault('timeout');
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 300);
    const attempt = fetch(new URL('account/balance', api.url), { method: 'POST', body: 'x', signal: ctl.signal });
    await expect(attempt).rejects.toThrow();
    clearTimeout(timer);
  });

  it('forces a result code per path', async () => {
    api.setResult('commands/callback', 3330);
    const r = await post(api.url, 'commands/callback', { command_id: 'c', from: { extension: '101' }, to_number: '79160000000' });
    expect(r.json).toEqual({ result: 3330 });
    api.setResult('commands/callback', null);
  });
});

describe('optional fidelity', () => {
  it('locks out with HTTP 401 after more than one 3xxx in 2 minutes', async () => {
    let now = 1_700_000_000_000;
    const strict = await startMangoApi({ apiKey: KEY, apiSalt: SALT, lockout: true, now: () => now });
    try {
      expect((await post(strict.url, 'account/balance', {}, { salt: 'bad' })).json).toEqual({ result: 3102 });
      expect((await post(strict.url, 'account/balance', {}, { salt: 'bad' })).status).toBe(401);
      expect((await post(strict.url, 'account/balance', {})).status).toBe(401); // even a good one
      now += 2 * 60_000;
      expect((await post(strict.url, 'account/balance', {})).json.result).toBe(1000);
    } finally {
      await strict.close();
    }
  });

  it('applies per-product rate limits (config/users/request: 1 per 2 s)', async () => {
    let now = 1_700_000_000_000;
    const limited = await startMangoApi({ apiKey: KEY, apiSalt: SALT, rateLimits: true, now: () => now });
    try {
      expect((await post(limited.url, 'config/users/request', {})).status).toBe(200);
      expect((await post(limited.url, 'config/users/request', {})).status).toBe(429);
      now += 2000;
      expect((await post(limited.url, 'config/users/request', {})).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('can answer errors DOC110-style: HTTP 420 {"code"}', async () => {
    const old = await startMangoApi({ apiKey: KEY, apiSalt: SALT, errorStyle: 'doc110' });
    try {
      const r = await post(old.url, 'account/balance', {}, { salt: 'bad' });
      expect(r.status).toBe(420);
      expect(r.json).toEqual({ code: 3102 });
    } finally {
      await old.close();
    }
  });
});
