import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../support/pg';
import { configFromEnv } from '../../server/config';
import { IpAllowList, MANGO_SENDER_IPS } from '../../server/ops/net';
import { ADMIN_PASSWORD, callEvent, jsonRequest, login, postSignedTo, startOpsRelay, tmpDir } from './support';
import { TEST_MANGO_KEY } from '../support/relay';

const SECRET = 'deploy-test-secret-key';
const SALT = 'deploy-test-salt-Qw3';

/** Runs a deploy script with a clean environment (no /etc env file involved). */
function run(script: string, args: string[], env: Record<string, string>) {
  return spawnSync('bash', [join('deploy', script), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ENV_FILE: '/nonexistent', ...env },
    encoding: 'utf8',
  });
}

describe('deploy/backup.sh and deploy/restore.sh (pg_dump / pg_restore)', () => {
  const tmp = tmpDir('asgard-backup-');
  const dbs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
  let source: Awaited<ReturnType<typeof createTestDatabase>>;
  let dump = '';
  const events = [callEvent('bk'), callEvent('bk'), callEvent('bk')];

  beforeAll(async () => {
    source = await createTestDatabase();
    dbs.push(source);
    const r = await startOpsRelay({ secretKey: SECRET }, { databaseUrl: source.url });
    const token = await login(r.url, 'admin', ADMIN_PASSWORD);
    expect((await jsonRequest(`${r.url}/api/admin/mango`, 'PUT', { apiKey: TEST_MANGO_KEY, apiSalt: SALT }, { token })).status).toBe(200);
    for (const ev of events) expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, ev, { salt: SALT })).status).toBe(200);
    await r.close();
  });
  afterAll(async () => {
    for (const d of dbs) await d.drop();
    tmp.remove();
  });

  it('backup.sh writes a custom-format dump that pg_restore can read, and keeps the key file', () => {
    const dataDir = join(tmp.dir, 'data');
    execFileSync('mkdir', ['-p', dataDir]);
    writeFileSync(join(dataDir, 'relay-secret.key'), 'generated-key');
    const out = run('backup.sh', [join(tmp.dir, 'backups')], { DATABASE_URL: source.url, DATA_DIR: dataDir });
    expect(out.status, out.stderr).toBe(0);
    dump = out.stdout.trim();
    expect(dump).toMatch(/asgard-relay-\d{8}T\d{6}Z\.dump$/);
    expect(execFileSync('pg_restore', ['--list', dump], { encoding: 'utf8' })).toMatch(/TABLE DATA public mango_events/);
    const files = readdirSync(join(tmp.dir, 'backups'));
    expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(files.some((f) => /^relay-secret-.*\.key$/.test(f))).toBe(true);
  });

  it('backup.sh refuses without DATABASE_URL', () => {
    const out = run('backup.sh', [join(tmp.dir, 'none')], {});
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/DATABASE_URL is not set/);
  });

  it('restore.sh fills an empty database; the relay starts on it (migrations again: no-op) with logins, salt and events intact', async () => {
    const target = await createTestDatabase();
    dbs.push(target);
    const out = run('restore.sh', [dump, target.url], {});
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/3 events/);

    const r = await startOpsRelay({ secretKey: SECRET, adminPassword: 'not-used-admin-exists' }, { databaseUrl: target.url });
    try {
      const migrations = await r.sql<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(migrations[0].n).toBe(readdirSync('server/db/migrations').filter((f) => f.endsWith('.sql')).length);
      await login(r.url, 'admin', ADMIN_PASSWORD); // the original password
      const stored = await r.sql<{ entry_id: string }>('SELECT entry_id FROM mango_events ORDER BY id');
      expect(stored.map((x) => x.entry_id)).toEqual(events.map((e) => e.entry_id));
      // The salt saved before the backup still verifies signatures (decrypted with the same key); a replay is a duplicate.
      expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, events[0], { salt: SALT })).status).toBe(200);
      expect((await postSignedTo(`${r.url}/api/mango-webhook/events/call`, callEvent('after'), { salt: SALT })).status).toBe(200);
      expect(await r.sql('SELECT 1 FROM mango_events')).toHaveLength(4);
    } finally {
      await r.close();
    }
  });

  it('restore.sh will not overwrite a database with relay tables unless --force', async () => {
    const target = await createTestDatabase();
    dbs.push(target);
    const r = await startOpsRelay({}, { databaseUrl: target.url });
    await postSignedTo(`${r.url}/api/mango-webhook/events/call`, callEvent('other'));
    await r.close();

    const refused = run('restore.sh', [dump, target.url], {});
    expect(refused.status).toBe(3);
    expect(refused.stderr).toMatch(/--force/);
    const forced = run('restore.sh', ['--force', dump, target.url], {});
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/3 events/);
  });

  it('restore.sh rejects a file that is not a dump', () => {
    const bogus = join(tmp.dir, 'bogus.dump');
    writeFileSync(bogus, 'hello');
    const out = run('restore.sh', [bogus, source.url], {});
    expect(out.status).toBe(2);
  });
});

describe('deploy/relay.env.example and deploy/asgard-relay.service', () => {
  const example = readFileSync('deploy/relay.env.example', 'utf8');

  it('mentions every variable the relay reads', () => {
    const read = [...readFileSync('server/config.ts', 'utf8').matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(10);
    for (const name of new Set(read)) expect(example, name).toMatch(new RegExp(`^#?${name}=`, 'm'));
  });

  it("allow-lists exactly Mango's five sender addresses, in a form the relay accepts", () => {
    const line = /^MANGO_ALLOWED_IPS=(.*)$/m.exec(example)![1];
    const cfg = configFromEnv({ MANGO_ALLOWED_IPS: line });
    expect(cfg.mangoAllowedIps).toEqual([...MANGO_SENDER_IPS]);
    const list = new IpAllowList(cfg.mangoAllowedIps!);
    for (const ip of MANGO_SENDER_IPS) expect(list.allows(ip)).toBe(true);
    // The settings that are active parse.
    const active = Object.fromEntries(example.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const c = configFromEnv(active);
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, trustProxy: true, dataDir: '/var/lib/asgard-relay' });
  });

  it('is a hardened, always-restarting unit reading the env file, reloadable with SIGHUP', () => {
    const unit = readFileSync('deploy/asgard-relay.service', 'utf8');
    for (const d of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/asgard-relay',
      'Restart=always',
      'EnvironmentFile=/etc/asgard-relay/relay.env',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'KillSignal=SIGTERM',
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'CapabilityBoundingSet=',
    ]) {
      expect(unit, d).toContain(`\n${d}\n`);
    }
    // systemd's own check, where systemd-analyze is present (it is on Debian with systemd).
    if (existsSync('/usr/bin/systemd-analyze')) {
      const v = spawnSync('/usr/bin/systemd-analyze', ['verify', 'deploy/asgard-relay.service'], { encoding: 'utf8' });
      expect(v.stderr.trim()).toBe('');
      expect(v.status).toBe(0);
    }
    // Graceful shutdown fits in the stop timeout.
    const stopSec = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)![1]);
    expect(stopSec * 1000).toBeGreaterThan(configFromEnv({}).shutdownGraceMs + 15_000);
  });
});
