import pino, { type DestinationStream } from 'pino';

/**
 * Keys whose values never reach a log line, at any depth: passwords, the Mango salt and
 * signatures, session tokens, auth headers, key material, and request bodies wholesale.
 */
const SECRET_KEY = /^(password|newpassword|oldpassword|passwordhash|pass|apisalt|salt|vpbx_api_salt|token|accesstoken|refreshtoken|sessiontoken|sign|signature|authorization|proxy-authorization|cookie|set-cookie|secret|secretkey|relay_secret_key|privatekey|tls_key|body|rawjson|raw_json)$/i;
const CENSOR = '[redacted]';
const MAX_DEPTH = 6;

function isPlain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A copy of `v` with secret keys censored; Errors and other class instances are left to pino's serializers. */
export function scrubSecrets(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return v;
  if (Array.isArray(v)) return v.map((x) => scrubSecrets(x, depth + 1));
  if (!isPlain(v)) return v;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(v)) {
    const val = v[k];
    const next = SECRET_KEY.test(k) && val != null && val !== '' ? CENSOR : scrubSecrets(val, depth + 1);
    if (next !== val) {
      out ??= { ...v };
      out[k] = next;
    }
  }
  return out ?? v;
}

/**
 * The relay's production logger: one JSON object per line (pino), ISO timestamps, and secrets
 * censored by key at any depth.
 */
export function createRelayLogger(level = 'info', destination?: DestinationStream) {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'asgard-relay', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (obj) => scrubSecrets(obj) as Record<string, unknown>,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
