/**
 * Account presets: hosts, ports and security of the mail services the guide names, plus the
 * OAuth2 endpoints of Yandex and Google (the guide's variant 3).
 *
 * Mango Office (the guide's variant 2, «Манго Почта»): Mango does not publish a mail API of its
 * own, so the preset is IMAP/SMTP with the hosts the administrator enters, nothing pre-filled.
 */
import type { MailOAuthProvider, MailPreset, MailPresetId } from '../../../src-shared/ipc/mail';

const APP_PASSWORD = 'Пароль приложения, а не основной пароль от почты.';

export const PRESETS: readonly MailPreset[] = [
  {
    id: 'mailru',
    title: 'Mail.ru',
    imap: { host: 'imap.mail.ru', port: 993, security: 'tls' },
    smtp: { host: 'smtp.mail.ru', port: 465, security: 'tls' },
    smtpAlt: { host: 'smtp.mail.ru', port: 587, security: 'starttls' },
    oauth: null,
    passwordHint: `${APP_PASSWORD} Создайте его: Mail.ru → Настройки → Безопасность → «Пароли для внешних приложений».`,
    passwordHelpUrl: 'https://account.mail.ru/user/2-step-auth/passwords/',
    note: null,
    serverSavesSent: false,
  },
  {
    id: 'yandex',
    title: 'Яндекс Почта',
    imap: { host: 'imap.yandex.ru', port: 993, security: 'tls' },
    smtp: { host: 'smtp.yandex.ru', port: 465, security: 'tls' },
    smtpAlt: { host: 'smtp.yandex.ru', port: 587, security: 'starttls' },
    oauth: 'yandex',
    passwordHint: `${APP_PASSWORD} Создайте его: Яндекс ID → Безопасность → «Пароли приложений» → «Почта». Доступ по IMAP включается в Почте: Настройки → Почтовые программы.`,
    passwordHelpUrl: 'https://id.yandex.ru/security/app-passwords',
    note: null,
    serverSavesSent: false,
  },
  {
    id: 'gmail',
    title: 'Gmail',
    imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
    smtpAlt: { host: 'smtp.gmail.com', port: 587, security: 'starttls' },
    oauth: 'google',
    passwordHint: `${APP_PASSWORD} Он появляется после включения двухэтапной аутентификации: Аккаунт Google → Безопасность → «Пароли приложений».`,
    passwordHelpUrl: 'https://myaccount.google.com/apppasswords',
    note: null,
    serverSavesSent: true,
  },
  {
    id: 'mango',
    title: 'Манго Офис (почта)',
    imap: null,
    smtp: null,
    smtpAlt: null,
    oauth: null,
    passwordHint: `${APP_PASSWORD} Его выдаёт администратор почты.`,
    passwordHelpUrl: null,
    note:
      'Почта от Манго Телеком подключается как обычный IMAP/SMTP-ящик: укажите серверы и порты, которые выдал администратор (отдельного почтового API у Манго нет).',
    serverSavesSent: false,
  },
  {
    id: 'custom',
    title: 'Другой сервер',
    imap: null,
    smtp: null,
    smtpAlt: null,
    oauth: 'custom',
    passwordHint: `${APP_PASSWORD} Если почтовый сервис его поддерживает — используйте его.`,
    passwordHelpUrl: null,
    note: 'IMAP обычно на порту 993 (SSL/TLS), SMTP — 465 (SSL) или 587 (STARTTLS).',
    serverSavesSent: false,
  },
];

export function presetById(id: MailPresetId): MailPreset {
  const p = PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown preset ${id}`);
  return p;
}

export interface OAuthEndpoints {
  authUrl: string;
  tokenUrl: string;
  scope: string;
  /** Extra query parameters of the authorization request. */
  extraAuthParams: Record<string, string>;
}

export const OAUTH_ENDPOINTS: Record<Exclude<MailOAuthProvider, 'custom'>, OAuthEndpoints> = {
  yandex: {
    authUrl: 'https://oauth.yandex.ru/authorize',
    tokenUrl: 'https://oauth.yandex.ru/token',
    scope: 'mail:imap_full mail:smtp',
    extraAuthParams: { force_confirm: 'yes' },
  },
  google: {
    authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    scope: 'https://mail.google.com/',
    extraAuthParams: { access_type: 'offline', prompt: 'consent' },
  },
};
