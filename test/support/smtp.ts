/**
 * A real SMTP server for tests (npm smtp-server) on 127.0.0.1 that delivers every accepted
 * message into the recipients' Dovecot mailboxes (`doveadm save`, like a local delivery agent),
 * so a sent mail really arrives. It can be stopped and started again on the same port to
 * simulate an SMTP outage.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Dovecot } from './dovecot';
import { freePort } from './dovecot';

export interface TestSmtpOptions {
  /** Where accepted mail is delivered (recipients that are Dovecot users). */
  dovecot?: Dovecot;
  /** Logins accepted with PLAIN/LOGIN; defaults to the Dovecot users. */
  users?: { user: string; pass: string }[];
  /** `plain` (no TLS at all), `tls` (implicit TLS, like 465) or `starttls` (like 587). */
  mode?: 'plain' | 'tls' | 'starttls';
  /** PEM key/cert for tls/starttls. */
  key?: string;
  cert?: string;
  /** Checks an XOAUTH2 bearer token (enables XOAUTH2). */
  verifyToken?: (user: string, token: string) => Promise<boolean>;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: Buffer;
}

export interface TestSmtp {
  host: '127.0.0.1';
  port: number;
  received: ReceivedMail[];
  /** Every AUTH attempt: method, user and whether it passed. */
  auths: { method: string; user: string; ok: boolean }[];
  /** Stops listening and drops open connections (the port stays reserved for `start`). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtp(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const port = await freePort();
  const users = opts.users ?? opts.dovecot?.users ?? [];
  const mode = opts.mode ?? 'plain';
  const received: ReceivedMail[] = [];
  const auths: TestSmtp['auths'] = [];
  const localUsers = new Set((opts.dovecot?.users ?? []).map((u) => u.user.toLowerCase()));

  const options: SMTPServerOptions = {
    secure: mode === 'tls',
    key: opts.key,
    cert: opts.cert,
    disabledCommands: mode === 'plain' ? ['STARTTLS'] : [],
    allowInsecureAuth: true,
    authMethods: opts.verifyToken ? ['PLAIN', 'LOGIN', 'XOAUTH2'] : ['PLAIN', 'LOGIN'],
    size: 50 * 1024 * 1024,
    closeTimeout: 50,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.method === 'XOAUTH2') {
        const user = auth.username ?? '';
        (opts.verifyToken ? opts.verifyToken(user, auth.accessToken ?? '') : Promise.resolve(false)).then(
          (ok) => {
            auths.push({ method: 'XOAUTH2', user, ok });
            if (ok) cb(null, { user });
            else cb(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
          },
          (e: Error) => cb(e),
        );
        return;
      }
      const ok = users.some((u) => u.user.toLowerCase() === (auth.username ?? '').toLowerCase() && u.pass === auth.password);
      auths.push({ method: auth.method, user: auth.username ?? '', ok });
      if (ok) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo.map((r) => r.address);
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to, user: session.user, raw });
        const deliveries = to
          .filter((addr) => localUsers.has(addr.toLowerCase()))
          .map((addr) => opts.dovecot!.deliver(addr.toLowerCase(), raw));
        Promise.all(deliveries).then(
          () => cb(),
          (e: Error) => cb(Object.assign(new Error(`delivery failed: ${e.message}`), { responseCode: 451 })),
        );
      });
    },
  };

  let server: SMTPServer | null = null;
  const start = async () => {
    if (server) return;
    server = new SMTPServer(options);
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
  };
  const stop = async () => {
    const s = server;
    server = null;
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return { host: '127.0.0.1', port, received, auths, start, stop, close: stop };
}
