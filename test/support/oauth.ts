/**
 * A local OAuth2 stand-in (authorization server) for mail tests: authorization endpoint that
 * approves at once and redirects back with a code, token endpoint (authorization_code with
 * PKCE S256 checked, refresh_token), and RFC 7662 introspection that Dovecot's oauth2 passdb
 * and the test SMTP server use to check bearer tokens. Tokens are real random strings.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface OAuthStandIn {
  url: string;
  authUrl: string;
  tokenUrl: string;
  introspectionUrl: string;
  clientId: string;
  clientSecret: string;
  /** Introspection calls (Dovecot's oauth2 passdb, the SMTP server). */
  introspections: { username: string | undefined; active: boolean }[];
  /** Every token request (grant type, ok). */
  tokenRequests: { grant: string; ok: boolean }[];
  /** Access token → user; delete to revoke. */
  accessTokens: Map<string, { user: string; expiresAt: number }>;
  refreshTokens: Map<string, string>;
  introspect(token: string): { active: boolean; username?: string };
  /** Plays the browser: follows the authorization URL and the redirect to the app's loopback. */
  approveInBrowser(authorizationUrl: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export interface OAuthStandInOptions {
  /** The account the "user" logs in as (defaults to login_hint). */
  user?: string;
  accessTtlSec?: number;
  /** The authorization endpoint answers access_denied. */
  deny?: boolean;
}

const token = (prefix: string) => `${prefix}.${randomBytes(24).toString('base64url')}`;

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startOAuthStandIn(opts: OAuthStandInOptions = {}): Promise<OAuthStandIn> {
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(12).toString('hex');
  const codes = new Map<string, { redirectUri: string; challenge: string; user: string }>();
  const accessTokens = new Map<string, { user: string; expiresAt: number }>();
  const refreshTokens = new Map<string, string>();
  const tokenRequests: { grant: string; ok: boolean }[] = [];
  const introspections: { username: string | undefined; active: boolean }[] = [];
  const ttl = opts.accessTtlSec ?? 3600;

  const issue = (user: string) => {
    const access = token('at');
    accessTokens.set(access, { user, expiresAt: Date.now() + ttl * 1000 });
    return access;
  };
  const introspect = (t: string) => {
    const a = accessTokens.get(t);
    if (!a || a.expiresAt < Date.now()) return { active: false };
    return { active: true, username: a.user };
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const redirect = url.searchParams.get('redirect_uri') ?? '';
      const state = url.searchParams.get('state') ?? '';
      const back = new URL(redirect);
      back.searchParams.set('state', state);
      if (opts.deny || url.searchParams.get('client_id') !== clientId) {
        back.searchParams.set('error', opts.deny ? 'access_denied' : 'unauthorized_client');
      } else if (url.searchParams.get('code_challenge_method') !== 'S256' || !url.searchParams.get('code_challenge')) {
        back.searchParams.set('error', 'invalid_request');
      } else {
        const code = token('code');
        codes.set(code, {
          redirectUri: redirect,
          challenge: url.searchParams.get('code_challenge') ?? '',
          user: opts.user ?? url.searchParams.get('login_hint') ?? 'user@example.test',
        });
        back.searchParams.set('code', code);
      }
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      void readBody(req).then((p) => {
        const grant = p.get('grant_type') ?? '';
        const fail = (error: string) => {
          tokenRequests.push({ grant, ok: false });
          json(res, 400, { error });
        };
        if (p.get('client_id') !== clientId || p.get('client_secret') !== clientSecret) return fail('invalid_client');
        if (grant === 'authorization_code') {
          const c = codes.get(p.get('code') ?? '');
          codes.delete(p.get('code') ?? '');
          if (!c || c.redirectUri !== p.get('redirect_uri')) return fail('invalid_grant');
          const verifier = p.get('code_verifier') ?? '';
          if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge) return fail('invalid_grant');
          const refresh = token('rt');
          refreshTokens.set(refresh, c.user);
          tokenRequests.push({ grant, ok: true });
          return json(res, 200, { access_token: issue(c.user), token_type: 'Bearer', expires_in: ttl, refresh_token: refresh });
        }
        if (grant === 'refresh_token') {
          const user = refreshTokens.get(p.get('refresh_token') ?? '');
          if (!user) return fail('invalid_grant');
          tokenRequests.push({ grant, ok: true });
          return json(res, 200, { access_token: issue(user), token_type: 'Bearer', expires_in: ttl });
        }
        return fail('unsupported_grant_type');
      });
      return;
    }
    if (url.pathname === '/introspect') {
      void readBody(req).then((p) => {
        const t = p.get('token') ?? url.searchParams.get('token') ?? (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
        const r = introspect(t);
        introspections.push({ username: r.username, active: r.active });
        json(res, 200, r);
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  return {
    url: base,
    authUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    introspectionUrl: `${base}/introspect`,
    clientId,
    clientSecret,
    tokenRequests,
    introspections,
    accessTokens,
    refreshTokens,
    introspect,
    async approveInBrowser(authorizationUrl) {
      const r1 = await fetch(authorizationUrl, { redirect: 'manual' });
      const loc = r1.headers.get('location');
      if (!loc) return { status: r1.status, body: await r1.text() };
      const r2 = await fetch(loc);
      return { status: r2.status, body: await r2.text() };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
