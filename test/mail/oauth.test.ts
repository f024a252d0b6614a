/**
 * OAuth2 end to end against a local authorization server: authorization code + PKCE through a
 * loopback redirect, the refresh token kept only in the SecretBox, XOAUTH2 logins checked for
 * real by Dovecot (oauth2 passdb → introspection) and by the SMTP server, and refresh when the
 * access token expires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { startOAuthStandIn, type OAuthStandIn } from '../support/oauth';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeService, waitSynced, folderId, type Harness } from './helpers';
import { pkcePair, xoauth2String } from '../../src-main/core/mail/oauth';
import type { MailAccountView, MailCheckResult, MailSummary } from '../../src-shared/ipc/mail';

const frank = { user: 'frank@example.test', pass: 'unused-password' };
let dc: Dovecot;
let idp: OAuthStandIn;
let smtp: TestSmtp;

beforeAll(async () => {
  idp = await startOAuthStandIn({ accessTtlSec: 2 });
  dc = await startDovecot({ users: [frank], oauth2IntrospectionUrl: idp.introspectionUrl });
  smtp = await startSmtp({
    dovecot: dc,
    users: [],
    verifyToken: async (user, token) => idp.introspect(token).username === user,
  });
});
afterAll(async () => {
  await smtp?.close();
  await dc?.stop();
  await idp?.close();
});

async function oauthAccount(h: Harness): Promise<MailAccountView> {
  return (await h.mail.handle('mail:accounts:save', {
    name: 'Фрэнк',
    email: frank.user,
    preset: 'custom',
    imap: { host: '127.0.0.1', port: dc.port, security: 'none' },
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
    auth: 'oauth2',
    oauth: { provider: 'custom', clientId: idp.clientId, clientSecret: idp.clientSecret, authUrl: idp.authUrl, tokenUrl: idp.tokenUrl, scope: 'mail' },
  })) as MailAccountView;
}

describe('mail OAuth2', () => {
  it('PKCE pair and XOAUTH2 string have the standard shapes', () => {
    const { verifier, challenge } = pkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(xoauth2String('a@b.ru', 'tok'), 'base64').toString()).toBe('user=a@b.ru\x01auth=Bearer tok\x01\x01');
  });

  it('signs in through the browser, syncs and sends with XOAUTH2, refreshes expired tokens', async () => {
    await dc.deliver(frank.user, rawMessage({ subject: 'Для OAuth', to: frank.user }));
    const h = makeService();
    try {
      const acc = await oauthAccount(h);
      expect(acc.oauth).toEqual({ provider: 'custom', clientId: idp.clientId, connected: false });

      const start = (await h.mail.handle('mail:oauth:start', { accountId: acc.id })) as { flowId: string; url: string; redirectUri: string };
      const u = new URL(start.url);
      expect(u.origin + u.pathname).toBe(idp.authUrl);
      expect(u.searchParams.get('code_challenge_method')).toBe('S256');
      expect(u.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
      expect(u.searchParams.get('login_hint')).toBe(frank.user);

      const finish = h.mail.handle('mail:oauth:finish', { flowId: start.flowId, timeoutSec: 20 });
      const page = await idp.approveInBrowser(start.url);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Вход выполнен');
      const done = (await finish) as MailAccountView;
      expect(done.oauth?.connected).toBe(true);
      expect(idp.tokenRequests).toContainEqual({ grant: 'authorization_code', ok: true });

      // The refresh token is stored only as SecretBox ciphertext.
      const row = h.db.prepare('SELECT oauth_refresh_enc, oauth_secret_enc FROM mail_accounts WHERE id = ?').get(acc.id) as { oauth_refresh_enc: string; oauth_secret_enc: string };
      const [refresh] = [...idp.refreshTokens.keys()];
      expect(row.oauth_refresh_enc).not.toContain(refresh);
      expect(await h.box.decrypt(row.oauth_refresh_enc)).toBe(refresh);
      expect(await h.box.decrypt(row.oauth_secret_enc)).toBe(idp.clientSecret);

      // IMAP logs in with XOAUTH2 (Dovecot asks the stand-in's introspection endpoint).
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const list = (await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] };
      expect(list.items.map((m) => m.subject)).toContain('Для OAuth');
      expect(idp.introspections).toContainEqual({ username: frank.user, active: true });

      // Access tokens live 2 s: after they expire, checks and sending refresh them.
      await new Promise((r) => setTimeout(r, 2_200));
      const check = (await h.mail.handle('mail:accounts:check', { id: acc.id })) as MailCheckResult;
      expect(check.steps).toMatchObject([{ step: 'imap', ok: true }, { step: 'smtp', ok: true }]);
      expect(idp.tokenRequests.filter((r) => r.grant === 'refresh_token' && r.ok).length).toBeGreaterThanOrEqual(1);
      expect(smtp.auths).toContainEqual({ method: 'XOAUTH2', user: frank.user, ok: true });

      await new Promise((r) => setTimeout(r, 2_200));
      const sent = (await h.mail.handle('mail:send', { accountId: acc.id, to: [frank.user], subject: 'Отправлено через XOAUTH2', text: 'ok' })) as { status: string };
      expect(sent.status).toBe('sent');

      // A revoked token: the server refuses, the check explains it in Russian.
      idp.accessTokens.clear();
      idp.refreshTokens.clear();
      await new Promise((r) => setTimeout(r, 2_200));
      const revoked = (await h.mail.handle('mail:accounts:check', { id: acc.id })) as MailCheckResult;
      expect(revoked.ok).toBe(false);
      expect(revoked.steps[0].message).toMatch(/OAuth/);
      expect(revoked.steps[0].hint).toMatch(/Войти/);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('reports a denied sign-in', async () => {
    const denying = await startOAuthStandIn({ deny: true });
    const h = makeService();
    try {
      const acc = (await h.mail.handle('mail:accounts:save', {
        email: frank.user,
        preset: 'custom',
        imap: { host: '127.0.0.1', port: dc.port, security: 'none' },
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
        auth: 'oauth2',
        oauth: { provider: 'custom', clientId: denying.clientId, authUrl: denying.authUrl, tokenUrl: denying.tokenUrl },
      })) as MailAccountView;
      const start = (await h.mail.handle('mail:oauth:start', { accountId: acc.id })) as { flowId: string; url: string };
      const finish = h.mail.handle('mail:oauth:finish', { flowId: start.flowId, timeoutSec: 20 });
      finish.catch(() => undefined);
      await denying.approveInBrowser(start.url);
      await expect(finish).rejects.toMatchObject({ code: 'mail-oauth-denied', summary: 'Вход отменён: доступ к почте не разрешён.' });
      await expect(finish).rejects.toThrow(/Нажмите «Войти» ещё раз/);
    } finally {
      await h.close();
      await denying.close();
    }
  });
});
