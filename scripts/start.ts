/**
 * `npm start` / `npm run demo`.
 *
 * 1. Builds what is stale (renderer; main + preload when Electron can run).
 * 2. Starts the relay in-process on the embedded database (PGlite under ./data) unless
 *    RELAY_URL points at one already running.
 * 3. Starts the app: Electron when its binary is installed, else the browser mode (the core +
 *    the loopback bridge serving the UI) and opens or prints its URL.
 * 4. `--demo`: a separate data folder (./data/demo), demo employees (an admin, two ТО, one PM)
 *    with their passwords printed, and the Mango simulator ringing the relay every few
 *    seconds with realistic calls.
 *
 * Environment: RELAY_URL, ADMIN_LOGIN / ADMIN_PASSWORD (default admin / admin), PORT (relay,
 * default 8080), HOST (relay, default 127.0.0.1 here), DATA_DIR, BRIDGE_PORT, MANGO_API_KEY /
 * MANGO_API_SALT (demo default demo-key / demo-salt, as the simulator), NO_OPEN=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildMain, buildPreload, buildRenderer, mainIsStale, rendererIsStale, RENDERER_OUT, ROOT } from './build';

const demo = process.argv.includes('--demo');
const say = (line: string) => console.log(line);

const ADMIN_LOGIN = process.env.ADMIN_LOGIN || 'admin';
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD || 'admin';
const MANGO_KEY = process.env.MANGO_API_KEY || (demo ? 'demo-key' : '');
const MANGO_SALT = process.env.MANGO_API_SALT || (demo ? 'demo-salt' : '');
const DATA_DIR = path.resolve(process.env.DATA_DIR || (demo ? 'data/demo' : 'data'));

/** A folder inside the project relative to it («data/demo»), any other as it is. */
function shownPath(p: string): string {
  const rel = path.relative(ROOT, p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}
const running: Stoppable[] = [];
let stopping = false;

async function shutdown(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const s of running.reverse()) {
      try {
        await s.stop();
      } catch (e) {
        console.error(`stopping ${s.name} failed:`, e);
      }
    }
  }
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

/** The Electron executable when the npm package has its binary, else null. */
function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/**
 * Demo only: the simulator's fake Mango API on loopback, so what the relay asks of Mango
 * (click-to-call, groups, statistics for reconciliation) works without the internet.
 */
type SimApi = Awaited<ReturnType<typeof import('../tools/mango-sim/index').startMangoApi>>;
let simApi: SimApi | null = null;

async function startFakeMangoApi(): Promise<SimApi> {
  const sim = await import('../tools/mango-sim/index');
  const api = await sim.startMangoApi({ apiKey: MANGO_KEY, apiSalt: MANGO_SALT, webhook: { timeScale: 1, retry: { attempts: 5, backoffMs: 500 } } });
  running.push({ name: 'fake Mango API', stop: () => api.close() });
  return api;
}

async function startEmbeddedRelay(): Promise<string> {
  const { configFromEnv } = await import('../server/config');
  const { startRelay } = await import('../server/relay');
  const base = configFromEnv();
  if (demo) simApi = await startFakeMangoApi();
  const config = {
    ...base,
    ...(simApi ? { mangoApiUrl: simApi.url } : {}),
    host: process.env.HOST || '127.0.0.1',
    dataDir: DATA_DIR,
    adminLogin: ADMIN_LOGIN,
    adminPassword: ADMIN_PASSWORD,
    mangoApiKey: base.mangoApiKey ?? (MANGO_KEY || null),
    mangoApiSalt: base.mangoApiSalt ?? (MANGO_SALT || null),
    logLevel: process.env.LOG_LEVEL || 'warn',
  };
  let relay;
  try {
    relay = await startRelay(config);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE' || process.env.PORT) throw e;
    say(`Порт ${config.port} занят — сервер телефонии запущен на свободном порту`);
    relay = await startRelay({ ...config, port: 0 });
  }
  running.push({ name: 'relay', stop: () => relay.close() });
  simApi?.setWebhookTarget(`${relay.url}/api/mango-webhook/`);
  return relay.url;
}

async function relayApi<T>(relayUrl: string, method: string, p: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(relayUrl + p, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** The simulator's directory (tools/mango-sim/directory.ts) uses these extensions. */
const DEMO_PEOPLE = [
  { login: 'smirnova', name: 'Смирнова Елена', role: 'admin', extension: '105', password: 'demo-105' },
  { login: 'ivanov', name: 'Иванов Иван', role: 'to', extension: '101', password: 'demo-101' },
  { login: 'petrov', name: 'Петров Пётр', role: 'to', extension: '102', password: 'demo-102' },
  { login: 'kuznetsov', name: 'Кузнецов Олег', role: 'pm', extension: '104', password: 'demo-104' },
] as const;

async function createDemoEmployees(relayUrl: string): Promise<void> {
  const login = await relayApi<{ token: string }>(relayUrl, 'POST', '/api/auth/login', null, { login: ADMIN_LOGIN, password: ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`Не удалось войти администратором ${ADMIN_LOGIN}: HTTP ${login.status}`);
  const token = login.body.token;
  if (simApi) {
    // The demo data folder outlives a run; the fake API's port does not.
    const res = await relayApi(relayUrl, 'PUT', '/api/admin/mango', token, { apiKey: MANGO_KEY, apiSalt: MANGO_SALT, apiUrl: simApi.url, enabled: true });
    if (res.status >= 300) console.warn(`Настройки Mango для демо не сохранены: HTTP ${res.status}`);
  }
  const existing = await relayApi<{ employees: { id: number; login: string }[] }>(relayUrl, 'GET', '/api/admin/employees', token);
  for (const p of DEMO_PEOPLE) {
    const found = existing.body.employees?.find((e) => e.login === p.login);
    const res = found
      ? await relayApi(relayUrl, 'PATCH', `/api/admin/employees/${found.id}`, token, { password: p.password, extension: p.extension, role: p.role, active: true })
      : await relayApi(relayUrl, 'POST', '/api/admin/employees', token, p);
    if (res.status >= 300) throw new Error(`Сотрудник ${p.login}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  say('Демо-сотрудники (логин / пароль):');
  for (const p of DEMO_PEOPLE) say(`  ${p.login.padEnd(10)} / ${p.password.padEnd(9)} ${p.name}, ${p.role === 'to' ? 'ТО' : p.role === 'pm' ? 'РП' : 'администратор'}, доб. ${p.extension}`);
}

/** Rings the relay with realistic calls in real time, one every 6–12 s, until stopped. */
async function startDemoCalls(relayUrl: string): Promise<void> {
  const sim = await import('../tools/mango-sim/index');
  const webhook = `${relayUrl}/api/mango-webhook/`;
  const kinds = [
    ['incomingAnswered', 4],
    ['incomingMissed', 2],
    ['incomingParallelRing', 1],
    ['directToExtension', 1],
    ['outgoing', 1],
  ] as const;
  const callers = ['79161234567', '79031112233', '74957654321', '79265554433', '78123334455', '79990001122'];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];
  const pickKind = () => {
    let r = Math.random() * kinds.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of kinds) if ((r -= w) < 0) return k;
    return kinds[0][0];
  };
  let timer: NodeJS.Timeout | null = null;
  let n = 0;
  const ring = () => {
    const kind = pickKind();
    const events = sim.buildScenario(kind, {
      caller: pick(callers),
      extension: kind === 'directToExtension' ? '104' : pick(['101', '102']),
      extensions: ['101', '102'],
      ivrSeconds: 3,
      ringSeconds: 5 + Math.floor(Math.random() * 5),
      talkSeconds: 8 + Math.floor(Math.random() * 20),
      seed: Date.now() + n++,
    });
    // Mango's statistics know every call too, as the relay's reconciliation expects.
    simApi?.addCall(events);
    void sim
      .deliverPaced(webhook, events, { apiKey: MANGO_KEY, apiSalt: MANGO_SALT, timeScale: 1, maxGapMs: 15_000, retry: { attempts: 5, backoffMs: 500 } })
      .then((s) => {
        if (s.failed) console.warn(`демо-звонок (${kind}): ${s.failed} событий не принято сервером`);
      })
      .catch((e) => console.warn('демо-звонок не доставлен:', (e as Error).message));
    timer = setTimeout(ring, 6000 + Math.random() * 6000);
  };
  timer = setTimeout(ring, 3000);
  running.push({ name: 'demo calls', stop: () => void (timer && clearTimeout(timer)) });
  say('Симулятор Mango звонит на сервер каждые несколько секунд (Ctrl+C — остановить всё).');
}

function startElectron(binary: string, relayUrl: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, RELAY_URL: relayUrl };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [ROOT], { stdio: 'inherit', env });
  running.push({ name: 'electron', stop: () => void (child.exitCode == null && child.kill()) });
  child.on('exit', (code) => void shutdown(code ?? 0));
  return child;
}

async function startBrowserMode(relayUrl: string): Promise<void> {
  const { startBrowserApp, openInBrowser } = await import('../src-main/bridge/browser-app');
  const app = await startBrowserApp({
    userDataDir: path.join(DATA_DIR, 'app'),
    rendererDir: RENDERER_OUT,
    relayUrl,
    port: process.env.BRIDGE_PORT ? Number(process.env.BRIDGE_PORT) : undefined,
  });
  running.push({ name: 'app', stop: () => app.close() });
  const opened = !process.env.NO_OPEN && openInBrowser(app.bridge.url);
  say(`${opened ? 'Открываю' : 'Откройте в браузере'}: ${app.bridge.url}`);
}

async function main(): Promise<void> {
  const electron = electronBinary();
  if (rendererIsStale()) {
    say('Сборка интерфейса…');
    await buildRenderer();
  }
  if (electron && mainIsStale()) {
    await buildMain();
    await buildPreload();
  }

  let relayUrl = process.env.RELAY_URL?.replace(/\/+$/, '');
  if (relayUrl) say(`Сервер телефонии: ${relayUrl} (RELAY_URL)`);
  else {
    relayUrl = await startEmbeddedRelay();
    say(`Сервер телефонии: ${relayUrl} (встроенная база в ${shownPath(DATA_DIR)})`);
    say(`Администратор: ${ADMIN_LOGIN} / ${process.env.ADMIN_PASSWORD ? '(из ADMIN_PASSWORD)' : ADMIN_PASSWORD}`);
  }

  if (demo) {
    if (!MANGO_KEY || !MANGO_SALT) throw new Error('Для демо с внешним сервером задайте MANGO_API_KEY и MANGO_API_SALT');
    await createDemoEmployees(relayUrl);
    await startDemoCalls(relayUrl);
  }

  if (electron) {
    say('Запускаю приложение (Electron)…');
    startElectron(electron, relayUrl);
  } else {
    say('Electron не установлен (нет исполняемого файла) — запускаю приложение в браузере.');
    await startBrowserMode(relayUrl);
  }
}

main().catch((e) => {
  console.error('Запуск не удался:', e instanceof Error ? e.message : e);
  void shutdown(1);
});
