/**
 * OAuth2 for Yandex and Google mail (the guide's variant 3): authorization code + PKCE (S256)
 * with a loopback redirect (RFC 8252), refresh, and the XOAUTH2 SASL string.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { MailError } from './errors-ru';

export interface OAuthClientConfig {
  authUrl: string;
  tokenUrl: string;
  scope: string;
  clientId: string;
  clientSecret: string | null;
  extraAuthParams?: Record<string, string>;
  /** Fixed loopback port registered with the provider; 0 or absent = any free port. */
  redirectPort?: number;
  loginHint?: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** ms since epoch. */
  expiresAt: number;
}

export interface AuthorizationFlow {
  url: string;
  redirectUri: string;
  /** Settles when the browser comes back (or on timeout / cancel). */
  result: Promise<TokenSet>;
  cancel(): void;
}

const b64url = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

/** `user=<email>^Aauth=Bearer <token>^A^A`, base64: what XOAUTH2 sends. */
export function xoauth2String(user: string, accessToken: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`).toString('base64');
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;padding:40px"><h2>${title}</h2><p>${text}</p></body></html>`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

async function tokenRequest(cfg: OAuthClientConfig, params: Record<string, string>): Promise<TokenSet & { raw: Record<string, unknown> }> {
  const body = new URLSearchParams({ client_id: cfg.clientId, ...params });
  if (cfg.clientSecret) body.set('client_secret', cfg.clientSecret);
  let res: Response;
  try {
    res = await fetch(cfg.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(20_000),
    });
  } catch (e) {
    throw new MailError('mail-oauth', `Сервер авторизации недоступен: ${(e as Error).message}.`, 'Проверьте подключение к интернету; попробуйте отключить VPN или прокси.');
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (!res.ok || typeof json.access_token !== 'string') {
    const err = String(json.error ?? res.status);
    const desc = typeof json.error_description === 'string' ? `: ${json.error_description}` : '';
    if (err === 'invalid_grant') {
      throw new MailError('mail-oauth-revoked', 'Доступ к почте через OAuth отозван или истёк: войдите заново.', 'Нажмите «Войти через OAuth» в настройках ящика.');
    }
    if (err === 'invalid_client' || err === 'unauthorized_client') {
      throw new MailError('mail-oauth-client', `Сервер авторизации не принял приложение (${err}${desc}).`, 'Проверьте идентификатор (client id) и секрет приложения OAuth, выданные администратором.');
    }
    throw new MailError('mail-oauth', `Сервер авторизации ответил ошибкой ${err}${desc}.`, null);
  }
  const expiresIn = Number(json.expires_in ?? 3600);
  return {
    accessToken: json.access_token,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : null,
    expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000,
    raw: json,
  };
}

export async function refreshAccessToken(cfg: OAuthClientConfig, refreshToken: string): Promise<TokenSet> {
  const t = await tokenRequest(cfg, { grant_type: 'refresh_token', refresh_token: refreshToken });
  return { accessToken: t.accessToken, refreshToken: t.refreshToken ?? refreshToken, expiresAt: t.expiresAt };
}

/**
 * Starts a loopback listener and returns the authorization URL to open in the browser. The
 * result settles once the provider redirects back with a code, which is exchanged (with the
 * PKCE verifier) for tokens.
 */
export async function startAuthorization(cfg: OAuthClientConfig, timeoutMs = 5 * 60_000): Promise<AuthorizationFlow> {
  const { verifier, challenge } = pkcePair();
  const state = b64url(randomBytes(16));
  let settle!: { resolve: (t: TokenSet) => void; reject: (e: Error) => void };
  const result = new Promise<TokenSet>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined);
  let done = false;
  let redirectUri = '';

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/oauth/callback') {
      res.writeHead(404).end();
      return;
    }
    const finish = (status: number, title: string, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE(title, text));
    };
    if (done) {
      finish(400, 'Вход уже завершён', 'Это окно можно закрыть.');
      return;
    }
    if (url.searchParams.get('state') !== state) {
      finish(400, 'Неверный ответ', 'Ответ сервера авторизации не относится к этому входу. Начните вход заново.');
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (error || !code) {
      done = true;
      finish(400, 'Вход не выполнен', escapeHtml(error ?? 'нет кода авторизации'));
      close();
      settle.reject(
        new MailError(
          'mail-oauth-denied',
          error === 'access_denied' ? 'Вход отменён: доступ к почте не разрешён.' : `Вход не выполнен: ${error ?? 'нет кода'}.`,
          'Нажмите «Войти» ещё раз и разрешите доступ к почте.',
        ),
      );
      return;
    }
    done = true;
    tokenRequest(cfg, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier })
      .then((t) => {
        finish(200, 'Вход выполнен', 'Доступ к почте получен. Вернитесь в АСГАРД Телефонию — это окно можно закрыть.');
        settle.resolve({ accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: t.expiresAt });
      })
      .catch((e: Error) => {
        finish(500, 'Вход не выполнен', escapeHtml(e.message));
        settle.reject(e);
      })
      .finally(close);
  });

  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    close();
    settle.reject(new MailError('mail-oauth-timeout', 'Вход через OAuth не завершён вовремя.', 'Нажмите «Войти» ещё раз и завершите вход в открывшемся браузере.'));
  }, timeoutMs);
  timer.unref();

  function close() {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections?.();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new MailError('mail-oauth-port', `Порт ${cfg.redirectPort} для возврата из браузера занят.`, 'Закройте другой вход через OAuth или укажите другой порт.')
          : e,
      ),
    );
    server.listen(cfg.redirectPort ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  redirectUri = `http://127.0.0.1:${port}/oauth/callback`;

  const u = new URL(cfg.authUrl);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', cfg.clientId);
  u.searchParams.set('redirect_uri', redirectUri);
  if (cfg.scope) u.searchParams.set('scope', cfg.scope);
  u.searchParams.set('state', state);
  u.searchParams.set('code_challenge', challenge);
  u.searchParams.set('code_challenge_method', 'S256');
  if (cfg.loginHint) u.searchParams.set('login_hint', cfg.loginHint);
  for (const [k, v] of Object.entries(cfg.extraAuthParams ?? {})) u.searchParams.set(k, v);

  return {
    url: u.toString(),
    redirectUri,
    result,
    cancel() {
      if (done) return;
      done = true;
      close();
      settle.reject(new MailError('mail-oauth-cancelled', 'Вход через OAuth отменён.'));
    },
  };
}
