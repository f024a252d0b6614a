/**
 * A private Dovecot instance per test file: its own config in a temp folder, plaintext IMAP on a
 * free loopback port and IMAPS with a self-signed certificate, users from a passwd-file, and
 * optionally an oauth2 passdb pointed at an introspection URL (XOAUTH2 / OAUTHBEARER).
 *
 * Needs Debian's dovecot-imapd; `npm run setup:test` installs it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface DovecotUser {
  /** Login, also used as the mailbox owner; usually an email address. */
  user: string;
  pass: string;
}

export interface DovecotOptions {
  users: DovecotUser[];
  /** Adds an oauth2 passdb checking bearer tokens at this RFC 7662 introspection URL. */
  oauth2IntrospectionUrl?: string;
}

export interface Dovecot {
  host: '127.0.0.1';
  /** Plaintext IMAP (no STARTTLS needed). */
  port: number;
  /** IMAP over TLS with the self-signed certificate in `certPem`. */
  tlsPort: number;
  certPem: string;
  dir: string;
  conf: string;
  users: DovecotUser[];
  /** Saves a raw message into a user's mailbox (like a delivery agent). */
  deliver(user: string, raw: string | Buffer, mailbox?: string): Promise<void>;
  /** Writes many messages straight into a user's Maildir (fast seeding for big mailboxes). */
  seedMaildir(user: string, messages: Iterable<string | Buffer>, mailbox?: string): number;
  /** Forces a new UIDVALIDITY on a mailbox (simulates a server-side rebuild). */
  changeUidValidity(user: string, mailbox: string, uidValidity: number): Promise<void>;
  doveadm(args: string[], input?: string | Buffer): Promise<string>;
  stop(): Promise<void>;
}

export const SETUP_HINT = 'run `npm run setup:test` (installs dovecot-imapd, isync and chromium)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function makeSelfSignedCert(dir: string): { certPath: string; keyPath: string; certPem: string } {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-keyout', keyPath, '-out', certPath, '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8') };
}

function findBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found: ${SETUP_HINT}`);
}

export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  const dovecotBin = findBinary('dovecot');
  const doveadmBin = findBinary('doveadm');
  const dir = mkdtempSync(join(tmpdir(), 'asgard-dovecot-'));
  // Dovecot's unprivileged auth/login processes must traverse and read the folder.
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d), { mode: 0o755 });
  const { certPath, keyPath, certPem } = makeSelfSignedCert(dir);
  const port = await freePort();
  const tlsPort = await freePort();

  const me = userInfo();
  const isRoot = me.uid === 0;
  const mailUser = isRoot ? 'nobody' : me.username;
  const mailGroup = isRoot ? 'nogroup' : String(me.gid);
  const mailDir = join(dir, 'mail');
  if (isRoot) chownNobody(mailDir);

  const passwd = opts.users.map((u) => `${u.user}:{PLAIN}${u.pass}::::::`).join('\n') + '\n';
  writeFileSync(join(dir, 'passwd'), passwd, { mode: 0o644 });

  const oauthPassdb = opts.oauth2IntrospectionUrl
    ? `
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${join(dir, 'oauth2.conf.ext')}
}`
    : '';
  if (opts.oauth2IntrospectionUrl) {
    writeFileSync(
      join(dir, 'oauth2.conf.ext'),
      [
        `introspection_url = ${opts.oauth2IntrospectionUrl}`,
        'introspection_mode = post',
        'tokeninfo_url =',
        'username_attribute = username',
        'active_attribute = active',
        'active_value = true',
        'timeout_msecs = 5000',
      ].join('\n') + '\n',
    );
  }

  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `# Throwaway Dovecot for ASGARD Phone tests.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
info_log_path = ${join(dir, 'dovecot.log')}
instance_name = asgard-${randomBytes(4).toString('hex')}
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <${certPath}
ssl_key = <${keyPath}
disable_plaintext_auth = no
auth_mechanisms = plain login${opts.oauth2IntrospectionUrl ? ' xoauth2 oauthbearer' : ''}
auth_cache_size = 0
# A refused login is answered at once, not after the default 2 s (the tests' bad passwords).
auth_failure_delay = 0
${isRoot ? '' : `default_login_user = ${me.username}\ndefault_internal_user = ${me.username}\n`}
mail_location = maildir:${mailDir}/%u
mail_uid = ${mailUser}
mail_gid = ${mailGroup}
first_valid_uid = 0
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(dir, 'passwd')}
}${oauthPassdb}
userdb {
  driver = static
  args = uid=${mailUser} gid=${mailGroup} home=${mailDir}/%u allow_all_users=yes
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
  process_min_avail = 1
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 200
  imap_idle_notify_interval = 1 secs
}
`,
  );

  try {
    // The master daemonizes; its children inherit stdio, so never pipe it (execFile would wait).
    const r = spawnSync(dovecotBin, ['-c', conf], { stdio: 'ignore', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`exit ${r.status}`);
  } catch (e) {
    const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
    throw new Error(`dovecot failed to start: ${(e as Error).message}\n${log}`);
  }
  await waitForPort(port);
  await waitForPort(tlsPort);

  const doveadm = async (args: string[], input?: string | Buffer): Promise<string> => {
    return new Promise((resolve, reject) => {
      const child = execFile(doveadmBin, ['-c', conf, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`doveadm ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin?.end(input);
      else child.stdin?.end();
    });
  };

  let seq = 0;
  const dc: Dovecot = {
    host: '127.0.0.1',
    port,
    tlsPort,
    certPem,
    dir,
    conf,
    users: opts.users,
    doveadm,
    async deliver(user, raw, mailbox = 'INBOX') {
      await doveadm(['save', '-u', user, '-m', mailbox], raw);
    },
    seedMaildir(user, messages, mailbox = 'INBOX') {
      const root = join(mailDir, user);
      const box = mailbox === 'INBOX' ? root : join(root, `.${mailbox.replace(/\//g, '.')}`);
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(box, sub), { recursive: true });
      let n = 0;
      const stamp = Math.floor(Date.now() / 1000);
      for (const m of messages) {
        seq++;
        writeFileSync(join(box, 'cur', `${stamp}.M${seq}P${process.pid}.asgard:2,`), m);
        n++;
      }
      if (isRoot) chownNobody(root);
      return n;
    },
    async changeUidValidity(user, mailbox, uidValidity) {
      await doveadm(['mailbox', 'update', '-u', user, '--uid-validity', String(uidValidity), mailbox]);
    },
    async stop() {
      // A throwaway server: its mail and state go with its folder, so nothing needs a graceful
      // shutdown. `doveadm stop` took 2–7 s here (the master waits a fixed second for its log
      // process, and longer while a client is still connected), in every mail test file's
      // afterAll. The master leads its own process group, which holds all its children (logins,
      // imap, auth, log): SIGKILL to the group ends them at once and frees the ports.
      const master = masterPid(dir, conf);
      if (master) {
        try {
          process.kill(-master, 'SIGKILL');
        } catch {
          /* already gone */
        }
      } else {
        try {
          await doveadm(['stop']);
        } catch {
          /* not running */
        }
      }
      await waitPortClosed(port);
      await waitPortClosed(tlsPort);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return dc;
}

/**
 * The pid of this instance's running master, when it is the leader of its own process group
 * (so the group is this Dovecot and nothing else): read from its pid file, checked in /proc.
 */
function masterPid(dir: string, conf: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'run', 'master.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return null;
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(conf)) return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return pgrp === pid ? pid : null;
  } catch {
    return null;
  }
}

function chownNobody(path: string): void {
  // nobody:nogroup on Debian is 65534:65534.
  spawnSync('chown', ['-R', 'nobody:nogroup', path]);
  try {
    chownSync(path, 65534, 65534);
  } catch {
    /* best effort */
  }
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`port ${port} did not open`);
}

async function waitPortClosed(port: number, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!(await canConnect(port))) return;
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** A minimal RFC 5322 message for fixtures. */
export function rawMessage(o: {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  date?: Date;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
}): string {
  const id = o.messageId ?? `<${randomBytes(8).toString('hex')}@test.local>`;
  const headers = [
    `From: ${o.from ?? 'Отправитель <sender@example.test>'}`,
    `To: ${o.to ?? 'alice@example.test'}`,
    `Subject: =?UTF-8?B?${Buffer.from(o.subject ?? 'Тест').toString('base64')}?=`,
    `Date: ${(o.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${id}`,
    'MIME-Version: 1.0',
  ];
  if (o.inReplyTo) headers.push(`In-Reply-To: ${o.inReplyTo}`);
  if (o.references) headers.push(`References: ${o.references}`);
  if (o.html) {
    const b = `b${randomBytes(6).toString('hex')}`;
    headers.push(`Content-Type: multipart/alternative; boundary="${b}"`);
    return (
      headers.join('\r\n') +
      `\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      Buffer.from(o.text ?? '').toString('base64') +
      `\r\n--${b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      Buffer.from(o.html).toString('base64') +
      `\r\n--${b}--\r\n`
    );
  }
  headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64');
  return headers.join('\r\n') + '\r\n\r\n' + Buffer.from(o.text ?? 'Привет').toString('base64') + '\r\n';
}
