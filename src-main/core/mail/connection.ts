/**
 * Opening IMAP (imapflow) and SMTP (nodemailer) connections for an account: security mode,
 * trusted CAs, timeouts, and credentials (password from the SecretBox or an OAuth2 access token
 * sent as XOAUTH2).
 */
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { MailServerSettings } from '../../../src-shared/ipc/mail';
import type { AccountRecord } from './accounts';
import { MailError } from './errors-ru';

export interface Timeouts {
  connectMs: number;
  greetingMs: number;
  socketMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 15_000, greetingMs: 15_000, socketMs: 5 * 60_000 };

export type Credentials = { kind: 'password'; user: string; pass: string } | { kind: 'oauth2'; user: string; accessToken: string };

export interface ConnectionDeps {
  /** Extra CA certificates to trust besides the system roots (tests, corporate CAs). */
  extraCa?: string[];
  timeouts: Timeouts;
  credentials(acc: AccountRecord): Promise<Credentials>;
}

export function tlsOptions(server: MailServerSettings, extraCa: string[] | undefined): ConnectionOptions {
  const o: ConnectionOptions = { minVersion: 'TLSv1.2' };
  if (extraCa?.length) o.ca = [...rootCertificates, ...extraCa];
  if (!isIP(server.host)) o.servername = server.host;
  return o;
}

export function imapOptions(acc: AccountRecord, cred: Credentials, deps: ConnectionDeps, extra: Partial<ImapFlowOptions> = {}): ImapFlowOptions {
  const s = acc.imap;
  return {
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    doSTARTTLS: s.security === 'starttls' ? true : s.security === 'none' ? false : undefined,
    tls: tlsOptions(s, deps.extraCa),
    auth: cred.kind === 'password' ? { user: cred.user, pass: cred.pass } : { user: cred.user, accessToken: cred.accessToken },
    logger: false,
    connectionTimeout: deps.timeouts.connectMs,
    greetingTimeout: deps.timeouts.greetingMs,
    socketTimeout: deps.timeouts.socketMs,
    clientInfo: { name: 'ASGARD Phone', vendor: 'ASGARD' },
    disableAutoIdle: true,
    ...extra,
  };
}

/** A connected, authenticated IMAP client. */
export async function openImap(acc: AccountRecord, deps: ConnectionDeps, extra: Partial<ImapFlowOptions> = {}): Promise<ImapFlow> {
  const cred = await deps.credentials(acc);
  const client = new ImapFlow(imapOptions(acc, cred, deps, extra));
  // Errors after connect surface through the command that hits them and the 'close' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw e;
  }
  return client;
}

export function smtpOptions(acc: AccountRecord, cred: Credentials, deps: ConnectionDeps): SMTPTransport.Options {
  const s = acc.smtp;
  return {
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    tls: tlsOptions(s, deps.extraCa),
    auth:
      cred.kind === 'password'
        ? { user: cred.user, pass: cred.pass }
        : { type: 'OAuth2', user: cred.user, accessToken: cred.accessToken },
    connectionTimeout: deps.timeouts.connectMs,
    greetingTimeout: deps.timeouts.greetingMs,
    socketTimeout: Math.min(deps.timeouts.socketMs, 120_000),
    name: 'asgard-phone.local',
  };
}

/**
 * A logger that only listens for the one entry nodemailer writes (at info level, debug or not)
 * when the whole message, final dot included, has been written to the connection: from then
 * on the server may have it, even if its answer never arrives.
 */
function dataSentLogger(dataSent: () => void) {
  const quiet = () => undefined;
  return {
    trace: quiet,
    debug: quiet,
    warn: quiet,
    error: quiet,
    fatal: quiet,
    info(entry: unknown) {
      const e = entry as { tnx?: unknown; inByteCount?: unknown } | null;
      if (e && typeof e === 'object' && e.tnx === 'message' && typeof e.inByteCount === 'number') dataSent();
    },
  };
}

export async function smtpTransport(acc: AccountRecord, deps: ConnectionDeps, hooks: { dataSent?: () => void } = {}) {
  const cred = await deps.credentials(acc);
  const o = smtpOptions(acc, cred, deps);
  if (hooks.dataSent) o.logger = dataSentLogger(hooks.dataSent);
  return nodemailer.createTransport(o);
}

export function requirePassword(acc: AccountRecord, pass: string | null): string {
  if (!pass) throw new MailError('mail-no-password', 'Для ящика не сохранён пароль: введите пароль приложения в настройках.');
  return pass;
}
