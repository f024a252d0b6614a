import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { connectWs, login, makeCa, metricValue, postSignedTo, callEvent, request, startOpsRelay, tmpDir, ADMIN_PASSWORD, type OpsRelay, type TestCa } from './support';

/** Opens a TLS connection and reports the protocol and the certificate the relay presented. */
function handshake(port: number, o: tls.ConnectionOptions): Promise<{ protocol: string | null; fingerprint: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...o }, () => {
      const r = { protocol: s.getProtocol(), fingerprint: s.getPeerX509Certificate()?.fingerprint256 ?? '', authorized: s.authorized };
      s.end();
      resolve(r);
    });
    s.on('error', reject);
  });
}

describe('the relay serves HTTPS itself (TLS_CERT, TLS_KEY)', () => {
  const tmp = tmpDir('asgard-tls-');
  let ca: TestCa;
  let first: ReturnType<TestCa['issue']>;
  let second: ReturnType<TestCa['issue']>;
  let r: OpsRelay;
  const certFile = join(tmp.dir, 'live-cert.pem');
  const keyFile = join(tmp.dir, 'live-key.pem');

  beforeAll(async () => {
    ca = makeCa(tmp.dir);
    first = ca.issue('first');
    second = ca.issue('second');
    copyFileSync(first.certFile, certFile);
    copyFileSync(first.keyFile, keyFile);
    r = await startOpsRelay({ tlsCert: certFile, tlsKey: keyFile });
  });
  afterAll(async () => {
    await r?.close();
    tmp.remove();
  });

  it('answers over HTTPS to a client that verifies the certificate against the test CA', async () => {
    expect(r.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(`${r.url}/healthz`, { ca: ca.ca });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ ok: true });
    const hs = await handshake(r.relay.port, { ca: ca.ca });
    expect(hs.authorized).toBe(true);
    expect(hs.fingerprint).toBe(new X509Certificate(first.cert).fingerprint256);
  });

  it('is refused by a client that does not trust the CA', async () => {
    await expect(request(`${r.url}/healthz`)).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/) });
  });

  it('offers TLS 1.2 (Mango speaks only 1.2) and TLS 1.3, and nothing older', async () => {
    expect((await handshake(r.relay.port, { ca: ca.ca, maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
    expect((await handshake(r.relay.port, { ca: ca.ca })).protocol).toBe('TLSv1.3');
    await expect(handshake(r.relay.port, { ca: ca.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })).rejects.toThrow();
  });

  it('stores a signed webhook received over TLS 1.2', async () => {
    const ev = callEvent('tls');
    const agent = new (await import('node:https')).Agent({ maxVersion: 'TLSv1.2', ca: ca.ca });
    const res = await postSignedTo(`${r.url}/api/mango-webhook/events/call`, ev, { agent });
    agent.destroy();
    expect(res.status).toBe(200);
    const rows = await r.sql('SELECT 1 FROM mango_events WHERE entry_id = $1', [ev.entry_id]);
    expect(rows).toHaveLength(1);
  });

  it('upgrades WebSocket connections over TLS (wss://)', async () => {
    const token = await login(r.url, 'admin', ADMIN_PASSWORD, { ca: ca.ca });
    const c = await connectWs(r.url, token, { ca: ca.ca });
    await c.waitFor((m) => m.some((x) => x.type === 'welcome') && m.some((x) => x.type === 'synced'), 'welcome and synced');
    c.ws.close();
  });

  it('re-reads the certificate on reload (SIGHUP) without dropping the listener or open sockets', async () => {
    const token = await login(r.url, 'admin', ADMIN_PASSWORD, { ca: ca.ca });
    const before = await connectWs(r.url, token, { ca: ca.ca });
    await before.waitFor((m) => m.some((x) => x.type === 'synced'), 'synced');

    copyFileSync(second.certFile, certFile);
    copyFileSync(second.keyFile, keyFile);
    expect(r.relay.reloadTls()).toEqual({ ok: true });
    const hs = await handshake(r.relay.port, { ca: ca.ca });
    expect(hs.fingerprint).toBe(new X509Certificate(second.cert).fingerprint256);
    expect(hs.authorized).toBe(true);
    // Still TLS 1.2 after the swap.
    expect((await handshake(r.relay.port, { ca: ca.ca, maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
    // The socket opened with the old certificate is still up.
    expect(before.ws.readyState).toBe(before.ws.OPEN);
    before.ws.close();
    expect(r.logs.find('TLS certificate reloaded')).toHaveLength(1);
  });

  it('keeps serving the current certificate when the new files are broken', async () => {
    writeFileSync(keyFile, first.key); // the key of another certificate
    const res = r.relay.reloadTls();
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/does not match/);
    writeFileSync(certFile, 'not a certificate');
    expect(r.relay.reloadTls().ok).toBe(false);
    const hs = await handshake(r.relay.port, { ca: ca.ca });
    expect(hs.fingerprint).toBe(new X509Certificate(second.cert).fingerprint256);
    expect((await request(`${r.url}/healthz`, { ca: ca.ca })).status).toBe(200);

    const page = (await request(`${r.url}/metrics`, { ca: ca.ca })).body;
    expect(metricValue(page, 'asgard_tls_reloads_total{result="ok"}')).toBe(1);
    expect(metricValue(page, 'asgard_tls_reloads_total{result="failed"}')).toBe(2);
    expect(metricValue(page, 'asgard_tls_certificate_expiry_timestamp_seconds')).toBe(Math.floor(new Date(new X509Certificate(second.cert).validTo).getTime() / 1000));
  });
});

describe('TLS configuration errors stop the start', () => {
  it('refuses TLS_CERT without TLS_KEY', async () => {
    await expect(startOpsRelay({ tlsCert: '/nonexistent/cert.pem', tlsKey: null })).rejects.toThrow(/TLS_CERT and TLS_KEY/);
  });
});
