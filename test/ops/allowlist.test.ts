import { afterEach, describe, expect, it } from 'vitest';
import { IpAllowList, MANGO_SENDER_IPS, normalizeIp } from '../../server/ops/net';
import { configFromEnv, parseTrustProxy } from '../../server/config';
import { callEvent, metricValue, postSignedTo, request, startOpsRelay, type OpsRelay } from './support';

describe('IpAllowList (node:net BlockList)', () => {
  it('matches IPv4 and IPv6 CIDRs and single addresses, IPv4-mapped IPv6 included', () => {
    const l = new IpAllowList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1']);
    expect(l.allows('10.200.3.4')).toBe(true);
    expect(l.allows('::ffff:10.1.1.1')).toBe(true);
    expect(l.allows('11.0.0.1')).toBe(false);
    expect(l.allows('192.168.1.7')).toBe(true);
    expect(l.allows('192.168.1.8')).toBe(false);
    expect(l.allows('2001:db8:1::5')).toBe(true);
    expect(l.allows('2001:db9::5')).toBe(false);
    expect(l.allows('::1')).toBe(true);
    expect(l.allows('127.0.0.1')).toBe(false);
    expect(l.allows('')).toBe(false);
    expect(l.allows('not-an-ip')).toBe(false);
  });

  it("holds Mango's five sender addresses", () => {
    const l = new IpAllowList([...MANGO_SENDER_IPS]);
    for (const ip of MANGO_SENDER_IPS) expect(l.allows(ip)).toBe(true);
    expect(l.allows('81.88.80.134')).toBe(false);
  });

  it('refuses typos at start rather than at the first callback', () => {
    expect(() => new IpAllowList(['10.0.0.0/33'])).toThrow(/prefix/);
    expect(() => new IpAllowList(['10.0.0/8'])).toThrow(/not an IP/);
    expect(() => new IpAllowList(['example.com'])).toThrow(/not an IP/);
    expect(() => new IpAllowList([])).toThrow();
    expect(normalizeIp('[::1]')).toBe('::1');
  });

  it('reads MANGO_ALLOWED_IPS and TRUST_PROXY from the environment', () => {
    expect(configFromEnv({ MANGO_ALLOWED_IPS: '81.88.80.132, 81.88.80.133,81.88.82.36/32' }).mangoAllowedIps).toEqual(['81.88.80.132', '81.88.80.133', '81.88.82.36/32']);
    expect(configFromEnv({}).mangoAllowedIps).toBeNull();
    expect(configFromEnv({ MANGO_ALLOWED_IPS: '  ' }).mangoAllowedIps).toBeNull();
    expect(parseTrustProxy('1')).toBe(true);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('0')).toBe(false);
    expect(parseTrustProxy('127.0.0.1, 10.0.0.0/8')).toEqual(['127.0.0.1', '10.0.0.0/8']);
  });
});

describe('MANGO_ALLOWED_IPS on a running relay', () => {
  let r: OpsRelay | null = null;
  afterEach(async () => {
    await r?.close();
    r = null;
  });

  it('refuses a source not listed: 403, nothing stored, one log line with ip and path; other routes unaffected', async () => {
    r = await startOpsRelay({ mangoAllowedIps: ['10.0.0.0/8'] });
    const ev = callEvent('deny');
    const res = await postSignedTo(`${r.url}/api/mango-webhook/events/call`, ev);
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: 'ip-not-allowed' });
    for (const path of ['/api/mango-webhook/ping', '/api/mango-webhook', '/api/mango-webhook/result/callback']) {
      expect((await postSignedTo(r.url + path, ev)).status).toBe(403);
    }
    expect(await r.sql('SELECT 1 FROM mango_events')).toHaveLength(0);

    const lines = r.logs.find(/source address not in MANGO_ALLOWED_IPS/);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ level: 40, ip: '127.0.0.1', path: '/api/mango-webhook/events/call' });
    expect(typeof lines[0].reqId).toBe('string');

    // The relay's own API and health are not Mango callbacks.
    expect((await request(`${r.url}/healthz`)).status).toBe(200);
    const page = (await request(`${r.url}/metrics`)).body;
    expect(metricValue(page, 'asgard_webhooks_refused_total{kind="events/call",reason="ip-not-allowed"}')).toBe(1);
    expect(metricValue(page, 'asgard_webhooks_refused_total{kind="ping",reason="ip-not-allowed"}')).toBe(1);
  });

  it('accepts a listed source: 127.0.0.0/8 → 200 and stored', async () => {
    r = await startOpsRelay({ mangoAllowedIps: ['127.0.0.0/8'] });
    const ev = callEvent('allow');
    const res = await postSignedTo(`${r.url}/api/mango-webhook/events/call`, ev);
    expect(res.status).toBe(200);
    expect(await r.sql('SELECT 1 FROM mango_events WHERE entry_id = $1', [ev.entry_id])).toHaveLength(1);
    // The allow-list is an addition to the signature check, not a replacement.
    expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, callEvent('allow'), { salt: 'wrong' })).status).toBe(403);
  });

  it('on a dual-stack listener, IPv4 clients (::ffff:127.0.0.1) match IPv4 entries and ::1 is judged as IPv6', async () => {
    r = await startOpsRelay({ host: '::', mangoAllowedIps: ['127.0.0.1/32'] });
    const port = r.relay.port;
    expect((await postSignedTo(`http://127.0.0.1:${port}/api/mango-webhook/events/call`, callEvent('v4'))).status).toBe(200);
    expect((await postSignedTo(`http://[::1]:${port}/api/mango-webhook/events/call`, callEvent('v6'))).status).toBe(403);
    expect(r.logs.find(/not in MANGO_ALLOWED_IPS/)[0]).toMatchObject({ ip: '::1' });
  });

  it('refuses to start with a malformed allow-list', async () => {
    await expect(startOpsRelay({ mangoAllowedIps: ['81.88.80.132/40'] })).rejects.toThrow(/MANGO_ALLOWED_IPS/);
  });
});
