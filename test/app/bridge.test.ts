import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src-main/bridge/bridge-server';
import { createAppCore, type AppCore } from '../../src-main/core/app-core';
import { KeyFileSecretBox } from '../../src-main/core/secrets/key-file-secret-box';
import { silentLogger } from '../../src-main/core/log';
import { createBridgeClient } from '../../src-shared/ipc/bridge-client';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ core: AppCore; bridge: Bridge; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-bridge-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const renderer = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>ok</title>');
  fs.writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'outside.txt'), 'secret');
  const core = await createAppCore({ userDataDir: path.join(dir, 'data'), secretBox: new KeyFileSecretBox(path.join(dir, 'data')), log: silentLogger });
  cleanup.push(() => core.close());
  const bridge = await startBridge({ core, rendererDir: renderer, log: silentLogger });
  cleanup.push(() => bridge.close());
  return { core, bridge, dir };
}

function wsUrl(b: Bridge, token?: string): string {
  return `ws://127.0.0.1:${b.port}/bridge` + (token === undefined ? '' : `?token=${encodeURIComponent(token)}`);
}

/** Resolves with the HTTP status the upgrade was refused with, or 101 when it opened. */
function tryConnect(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe('bridge', () => {
  it('listens on 127.0.0.1 only and prints a URL carrying the token', async () => {
    const { bridge } = await setup();
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?bridge=${bridge.token}#/`);
    expect(bridge.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses the socket without the token, with a wrong token, or from another origin', async () => {
    const { bridge } = await setup();
    expect(await tryConnect(wsUrl(bridge))).toBe(401);
    expect(await tryConnect(wsUrl(bridge, ''))).toBe(401);
    expect(await tryConnect(wsUrl(bridge, 'wrong-' + bridge.token))).toBe(401);
    expect(await tryConnect(wsUrl(bridge, bridge.token.slice(0, -1) + 'x'))).toBe(401);
    expect(await tryConnect(wsUrl(bridge, bridge.token), { origin: 'https://evil.example' })).toBe(403);
    expect(await tryConnect(wsUrl(bridge, bridge.token), { host: 'evil.example' })).toBe(403);
    expect(await tryConnect(wsUrl(bridge, bridge.token), { origin: `http://127.0.0.1:${bridge.port}` })).toBe(101);
  });

  it('answers {id, name, args} with {id, result} and validates args', async () => {
    const { bridge } = await setup();
    const ws = new WebSocket(wsUrl(bridge, bridge.token));
    cleanup.push(() => ws.terminate());
    await new Promise((r) => ws.once('open', r));
    const replies: unknown[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
    ws.send(JSON.stringify({ id: 1, name: 'session:state' }));
    ws.send(JSON.stringify({ id: 2, name: 'me:setAcceptCalls', args: { acceptCalls: 'yes' } }));
    ws.send(JSON.stringify({ id: 3, name: 'no:such' }));
    ws.send('not json');
    await expect.poll(() => replies.length).toBe(4);
    expect(replies).toContainEqual({ id: 1, result: { ok: true, value: { relayUrl: '', login: '', loggedIn: false, me: null } } });
    expect(replies).toContainEqual({ id: 2, result: { ok: false, error: expect.objectContaining({ code: 'bad-request' }) } });
    expect(replies).toContainEqual({ id: 3, result: { ok: false, error: expect.objectContaining({ code: 'unknown-request' }) } });
    expect(replies).toContainEqual({ id: null, result: { ok: false, error: expect.objectContaining({ code: 'bad-request' }) } });
  });

  it('serves the renderer with a strict CSP, never files outside it, and checks Host', async () => {
    const { bridge } = await setup();
    const page = await get(`${bridge.origin}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ok</title>');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(`${bridge.origin}/assets/app.js`)).headers['content-type']).toContain('text/javascript');
    for (const p of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt', '/nope.js'])
      expect((await get(bridge.origin + p)).status, p).toBe(404);
    expect((await get(`${bridge.origin}/`, { host: 'rebind.evil.example' })).status).toBe(403);
    expect((await get(`${bridge.origin}/recordings/1`)).status).toBe(401);
  });

  it('bridge-client implements AsgardApi: requests, errors with codes, events', async () => {
    const { bridge, core } = await setup();
    const api = createBridgeClient({ token: bridge.token, url: `ws://127.0.0.1:${bridge.port}/bridge`, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
    expect(await api.invoke('session:state', undefined)).toMatchObject({ loggedIn: false });
    await expect(api.invoke('calls:list', { limit: 5 })).rejects.toMatchObject({ code: 'not-logged-in', message: 'Вход не выполнен' });
    await expect(api.invoke('me:setAcceptCalls', { acceptCalls: 1 as unknown as boolean })).rejects.toMatchObject({ code: 'bad-request' });
    const states: unknown[] = [];
    api.on('session', (s) => states.push(s));
    await new Promise((r) => setTimeout(r, 50));
    core.updateSettings({ startAtLogin: true });
    // Logging in to an unreachable relay produces a Russian error and no session event.
    const res = await api.invoke('session:login', { relayUrl: 'http://127.0.0.1:1', login: 'x', password: 'y' }).catch((e) => e);
    expect(res).toMatchObject({ code: 'relay-unreachable' });
    expect(res.message).toMatch(/^Сервер телефонии недоступен/);
  });

  it('settings, about and updates over the bridge: one tab saves, another tab and the tray see it', async () => {
    const { bridge, core } = await setup();
    const client = () =>
      createBridgeClient({ token: bridge.token, url: `ws://127.0.0.1:${bridge.port}/bridge`, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
    const tab1 = client();
    const tab2 = client();
    const seen: unknown[] = [];
    tab2.on('settings', (s) => seen.push(s.popup));
    const tray: unknown[] = [];
    core.onShell('settings', (s) => tray.push(s.popup.position));
    expect(await tab2.invoke('settings:get', undefined)).toMatchObject({ popup: { position: 'bottom-right', durationSec: 0, sound: true } });

    const res = await tab1.invoke('settings:update', { popup: { position: 'top-right', durationSec: 9, sound: false } });
    expect(res).toMatchObject({ loggedOut: false, settings: { popup: { position: 'top-right', durationSec: 9, sound: false } } });
    await expect.poll(() => seen).toEqual([expect.objectContaining({ position: 'top-right', durationSec: 9, sound: false })]);
    expect(tray).toEqual(['top-right']);
    expect(core.getSettings().popup).toMatchObject({ position: 'top-right', durationSec: 9, sound: false });

    await expect(tab1.invoke('settings:update', { popup: { position: 'middle' as never } })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(tab1.invoke('settings:update', { updateUrl: 'http://updates.example.ru/' })).rejects.toMatchObject({ code: 'bad-update-url' });

    const about = await tab1.invoke('app:about', undefined);
    expect(about).toMatchObject({ name: 'АСГАРД Телефония', shell: 'browser', electron: null, chromium: null, node: process.versions.node });
    expect(await tab1.invoke('update:state', undefined)).toMatchObject({ state: 'unsupported' });
    await expect(tab1.invoke('update:install', undefined)).rejects.toMatchObject({ code: 'updates-unsupported' });
  });

  it('proxies recordings for the page holding the token, and only for it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-bridge-rec-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    let urlFor: ((id: string) => string) | null = null;
    const asked: string[] = [];
    const bridge = await startBridge({
      core: {
        handle: async () => ({ ok: true, value: null }),
        onAny: () => () => {},
        setRecordingUrl: (fn) => (urlFor = fn),
        fetchRecording: async (id) => (asked.push(id), new Response('ID3-audio', { headers: { 'content-type': 'audio/mpeg' } })),
      },
      rendererDir: dir,
      log: silentLogger,
    });
    cleanup.push(() => bridge.close());
    const url = urlFor!('rec/1 ä');
    expect(url.startsWith(`${bridge.origin}/recordings/`)).toBe(true);
    const ok = await get(url);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('audio/mpeg');
    expect(ok.body).toBe('ID3-audio');
    expect(asked).toEqual(['rec/1 ä']);
    expect((await get(url.replace(/bridge=[^&]+/, 'bridge=wrong'))).status).toBe(401);
    expect(asked).toHaveLength(1);
  });
});
