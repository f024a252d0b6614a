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
}

function int(v: string | undefined, dflt: number): number {
  if (v == null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`Expected a number, got "${v}"`);
  return n;
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
  };
}
