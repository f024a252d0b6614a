/** Relay configuration from the environment (names are part of the public contract, see README). */
export interface RelayConfig {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  secretKey: string | null;
  mangoApiKey: string | null;
  mangoApiSalt: string | null;
  mangoApiUrl: string;
  adminLogin: string | null;
  adminPassword: string | null;
  publicUrl: string | null;
  /** Reconciliation period against Mango's statistics (ms); 0 disables. */
  reconcileEveryMs: number;
  logLevel: string;
  bodyLimitBytes: number;
  /** PEM files; when both are set the relay serves HTTPS itself (TLS 1.2+), re-read on SIGHUP. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** `TRUST_PROXY`: true (1/true) or the proxies' addresses/CIDRs whose X-Forwarded-For is believed. */
  trustProxy: boolean | string[];
  /** `MANGO_ALLOWED_IPS`: CIDRs allowed to call /api/mango-webhook…; null = anyone (signature still checked). */
  mangoAllowedIps: string[] | null;
  /** Graceful shutdown: how long in-flight requests may take before sockets are cut (ms). */
  shutdownGraceMs: number;
}

function int(v: string | undefined, dflt: number): number {
  if (v == null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`Expected a number, got "${v}"`);
  return n;
}

function list(v: string | undefined): string[] {
  return (v ?? '').split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}

/** `1`/`true` → trust any proxy; `0`/`false`/empty → none; otherwise a comma list of addresses or CIDRs. */
export function parseTrustProxy(v: string | undefined): boolean | string[] {
  const s = (v ?? '').trim().toLowerCase();
  if (s === '' || s === '0' || s === 'false' || s === 'no') return false;
  if (s === '1' || s === 'true' || s === 'yes') return true;
  return list(v);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  return {
    port: int(env.PORT, 8080),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || null,
    dataDir: env.DATA_DIR || './data',
    secretKey: env.RELAY_SECRET_KEY || null,
    mangoApiKey: env.MANGO_API_KEY || null,
    mangoApiSalt: env.MANGO_API_SALT || null,
    mangoApiUrl: env.MANGO_API_URL || 'https://app.mango-office.ru/vpbx/',
    adminLogin: env.ADMIN_LOGIN || null,
    adminPassword: env.ADMIN_PASSWORD || null,
    publicUrl: env.PUBLIC_URL || null,
    reconcileEveryMs: int(env.RECONCILE_EVERY_MS, 5 * 60_000),
    logLevel: env.LOG_LEVEL || 'info',
    bodyLimitBytes: int(env.BODY_LIMIT_BYTES, 256 * 1024),
    tlsCert: env.TLS_CERT || null,
    tlsKey: env.TLS_KEY || null,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    mangoAllowedIps: env.MANGO_ALLOWED_IPS?.trim() ? list(env.MANGO_ALLOWED_IPS) : null,
    shutdownGraceMs: int(env.SHUTDOWN_GRACE_MS, 10_000),
  };
}
