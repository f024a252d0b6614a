/**
 * Turning IMAP/SMTP/network failures into plain Russian with the guide's hints
 * ("Почта не работает": IMAP/SMTP enabled, app password, ports and SSL).
 */

/**
 * An error that crosses IPC as `{code, message}`: `message` is the Russian text with the hint
 * appended (IPC carries only the message); `summary` and `hint` keep them apart.
 */
export class MailError extends Error {
  readonly code: string;
  readonly summary: string;
  readonly hint: string | null;
  constructor(code: string, summary: string, hint: string | null = null) {
    super(hint ? `${summary} ${hint}` : summary);
    this.name = 'MailError';
    this.code = code;
    this.summary = summary;
    this.hint = hint;
  }
}

export type MailErrorKind =
  | 'auth'
  | 'imap-disabled'
  | 'app-password'
  | 'refused'
  | 'not-found'
  | 'timeout'
  | 'tls-mismatch'
  | 'certificate'
  | 'network'
  | 'oauth'
  | 'recipient'
  | 'sender'
  | 'message'
  | 'server'
  | 'unknown';

export interface RuError {
  kind: MailErrorKind;
  code: string;
  message: string;
  hint: string | null;
  /** Worth retrying by itself later (network trouble), as opposed to needing the user. */
  transient: boolean;
}

export const HINTS = {
  enable: 'Убедитесь, что в настройках почтового ящика включён доступ по протоколам IMAP и SMTP (раздел «Почтовые программы»).',
  appPassword: 'Используйте пароль приложения, а не основной пароль от почты: создайте его в настройках безопасности почтового ящика.',
  ports: 'Проверьте порты и SSL: IMAP — порт 993 с SSL/TLS; SMTP — порт 465 с SSL или 587 с STARTTLS.',
  portsImap: 'Проверьте порт и SSL сервера входящей почты (IMAP): обычно 993 с SSL/TLS.',
  portsSmtp: 'Проверьте порт и SSL сервера исходящей почты (SMTP): 465 с SSL или 587 с STARTTLS.',
  network: 'Проверьте подключение к интернету; попробуйте отключить VPN или прокси.',
  host: 'Проверьте адрес сервера (например, imap.mail.ru или smtp.yandex.ru).',
  hostImap: 'Проверьте адрес сервера входящей почты (IMAP), например imap.mail.ru.',
  hostSmtp: 'Проверьте адрес сервера исходящей почты (SMTP), например smtp.mail.ru.',
  /** A network failure of an account that has worked: an outage, not a setting to change. */
  outage: 'Почтовый сервер сейчас недоступен — повторим автоматически.',
  certificate:
    'Адрес сервера должен совпадать с именем в его сертификате: укажите имя сервера из инструкции почтового сервиса, а не IP-адрес.',
  oauth: 'Войдите через Яндекс/Google заново (кнопка «Войти»), и проверьте идентификатор приложения OAuth.',
} as const;

interface ErrLike {
  code?: unknown;
  message?: unknown;
  responseText?: unknown;
  response?: unknown;
  responseCode?: unknown;
  serverResponseCode?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  command?: unknown;
  reason?: unknown;
  cause?: unknown;
  _err?: unknown;
  oauthError?: unknown;
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

/** Every text an error carries, nested causes included, lower-cased. */
function allText(e: ErrLike, depth = 0): string {
  if (!e || typeof e !== 'object' || depth > 3) return '';
  const own = [str(e.message), str(e.responseText), str(e.response), str(e.reason), str(e.serverResponseCode)].join(' ');
  return (own + ' ' + allText(e.cause as ErrLike, depth + 1) + ' ' + allText(e._err as ErrLike, depth + 1)).toLowerCase();
}

function allCodes(e: ErrLike, depth = 0): string[] {
  if (!e || typeof e !== 'object' || depth > 3) return [];
  return [str(e.code), ...allCodes(e.cause as ErrLike, depth + 1), ...allCodes(e._err as ErrLike, depth + 1)].filter(Boolean);
}

const CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
]);

export interface MailErrorContext {
  proto: 'imap' | 'smtp' | 'oauth';
  host?: string;
  port?: number;
  /**
   * This side of the account has worked before (mail went out, a check passed): a refused or
   * timed-out connection is then an outage, and port/host advice would only mislead.
   */
  workedBefore?: boolean;
}

/**
 * Maps an error from imapflow, nodemailer, Node's net/tls or our OAuth client to Russian.
 * `proto` and `server` shape the wording ("IMAP-сервер imap.mail.ru:993") and pick the hints of
 * the side that failed; `workedBefore` turns network trouble into «сервер недоступен».
 */
export function describeMailError(err: unknown, ctx: MailErrorContext = { proto: 'imap' }): RuError {
  if (err instanceof MailError) {
    return { kind: 'unknown', code: err.code, message: err.summary, hint: err.hint, transient: false };
  }
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as ErrLike;
  const text = allText(e);
  const codes = allCodes(e);
  const has = (c: string) => codes.includes(c);
  const who = ctx.proto === 'smtp' ? 'SMTP-сервер' : ctx.proto === 'oauth' ? 'Сервер авторизации' : 'IMAP-сервер';
  const where = ctx.host ? ` ${ctx.host}${ctx.port ? `:${ctx.port}` : ''}` : '';
  // Only the side that failed: an SMTP failure must not send the user to the IMAP settings.
  const ports = ctx.proto === 'smtp' ? HINTS.portsSmtp : ctx.proto === 'imap' ? HINTS.portsImap : HINTS.ports;
  const host = ctx.proto === 'smtp' ? HINTS.hostSmtp : ctx.proto === 'imap' ? HINTS.hostImap : HINTS.host;
  const outage = (kind: MailErrorKind, what: string): RuError =>
    r(kind, `${ctx.proto === 'smtp' ? 'Сервер исходящей почты (SMTP)' : 'Сервер входящей почты (IMAP)'}${where} ${what}.`, HINTS.outage, true);
  const r = (kind: MailErrorKind, message: string, hint: string | null, transient: boolean): RuError => ({
    kind,
    code: `mail-${kind}`,
    message,
    hint,
    transient,
  });

  // Certificates first: they also look like TLS failures.
  const certCode = codes.find((c) => CERT_CODES.has(c));
  if (certCode || /self[- ]signed certificate|certificate has expired|unable to verify the first certificate|hostname\/ip does not match|altnames/.test(text)) {
    const why =
      certCode === 'CERT_HAS_EXPIRED' || /expired/.test(text)
        ? 'срок действия сертификата истёк'
        : certCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames|does not match/.test(text)
          ? 'сертификат выдан на другое имя сервера'
          : 'сертификат не подписан доверенным центром (самоподписанный)';
    return r('certificate', `Не удалось проверить сертификат сервера${where}: ${why}.`, HINTS.certificate, false);
  }

  // A TLS handshake against a plaintext port, or plaintext against a TLS port.
  if (
    has('EPROTO') ||
    has('ERR_SSL_WRONG_VERSION_NUMBER') ||
    /wrong version number|ssl3_get_record|packet length too long|unknown protocol|tls_validate_record_header|http request/.test(text) ||
    e.tlsFailed === true ||
    has('ClosedAfterConnectTLS') ||
    has('UPGRADE_TIMEOUT') ||
    (has('ETLS') && ctx.proto === 'smtp')
  ) {
    return r(
      'tls-mismatch',
      `${who}${where} не понял защищённое соединение: похоже, неверный порт или режим SSL.`,
      ports,
      false,
    );
  }

  // A temporary DNS failure of a server that has answered before is an outage, not a wrong name.
  if (ctx.workedBefore && (has('EAI_AGAIN') || /eai_again/.test(text))) return outage('not-found', 'временно не находится по имени (сбой DNS)');
  if (has('ENOTFOUND') || has('EAI_AGAIN') || has('EDNS') || /getaddrinfo|enotfound/.test(text)) {
    return r('not-found', `${who}${where} не найден.`, `${host} ${HINTS.network}`, has('EAI_AGAIN'));
  }

  if (has('ECONNREFUSED') || /econnrefused/.test(text)) {
    if (ctx.workedBefore) return outage('refused', 'не принимает подключения');
    return r('refused', `${who}${where} отклонил подключение: на этом порту никто не отвечает.`, `${ports} ${host}`, true);
  }

  if (has('GREETING_TIMEOUT') || (ctx.proto === 'smtp' && has('ETIMEDOUT') && /greeting/.test(text))) {
    if (ctx.workedBefore) return outage('timeout', 'не ответил вовремя');
    return r(
      'timeout',
      `${who}${where} не ответил на подключение вовремя: похоже, неверный порт или режим SSL.`,
      `${ports} ${HINTS.network}`,
      true,
    );
  }

  if (has('CONNECT_TIMEOUT') || has('ETIMEDOUT') || has('ETIMEOUT') || has('ESOCKETTIMEDOUT') || /timed? ?out/.test(text)) {
    if (ctx.workedBefore) return outage('timeout', 'не ответил вовремя');
    return r('timeout', `${who}${where} не ответил вовремя.`, `${HINTS.network} ${ports}`, true);
  }

  if (has('ECONNRESET') || has('EPIPE') || has('ENETUNREACH') || has('EHOSTUNREACH') || has('ENETDOWN') || has('NoConnection') || has('EConnectionClosed') || has('ClosedAfterConnectText') || has('ECONNECTION') || has('ESOCKET')) {
    if (ctx.workedBefore) return outage('network', 'прервал соединение');
    return r('network', `Соединение с сервером${where} прервалось.`, HINTS.network, true);
  }

  if (ctx.proto === 'oauth' || e.oauthError || has('EOAUTH')) {
    if (/invalid_grant|expired|revoked/.test(text)) {
      return r('oauth', 'Доступ к почте через OAuth отозван или истёк.', HINTS.oauth, false);
    }
    if (ctx.proto === 'oauth') return r('oauth', `Ошибка авторизации OAuth: ${str(e.message) || 'нет ответа'}.`, HINTS.oauth, false);
  }

  // The server said no to the credentials: tell the common reasons apart.
  const authFailed =
    e.authenticationFailed === true ||
    has('EAUTH') ||
    e.responseCode === 535 ||
    e.responseCode === 534 ||
    /authenticationfailed|authentication failed|invalid credentials|username and password not accepted|auth.*fail|login failed|неверн/.test(text);
  if (/imap (access )?is disabled|not enabled for imap|imap.*(disabled|not enabled)|(disabled|not enabled).*imap|access rights to this service|please enable imap|imap access/.test(text)) {
    return r(
      'imap-disabled',
      ctx.proto === 'smtp'
        ? 'Почтовый сервер запретил отправку по SMTP для этого ящика.'
        : 'Доступ по IMAP выключен в настройках почтового ящика.',
      `${HINTS.enable} ${HINTS.appPassword}`,
      false,
    );
  }
  if (/application[- ]specific password|app password|application password|пароль приложения|web login required|webloginrequired/.test(text)) {
    return r('app-password', 'Сервер требует пароль приложения вместо основного пароля.', HINTS.appPassword, false);
  }
  const rc = smtpCode(err);
  const said = str(e.response) || str(e.message);
  // Asked for a login without encryption (538, or Gmail's "530 Must issue a STARTTLS command first").
  if (ctx.proto === 'smtp' && rc >= 500 && /starttls|tls required|encryption required/.test(text)) {
    return r('tls-mismatch', `${who}${where} требует защищённое соединение (STARTTLS), а в настройках выбрано подключение без шифрования.`, ports, false);
  }
  if (authFailed) {
    if (e.oauthError) return r('oauth', 'Сервер не принял токен OAuth.', HINTS.oauth, false);
    return r(
      'auth',
      `${who} не принял логин или пароль.`,
      `${HINTS.appPassword} ${HINTS.enable}`,
      false,
    );
  }
  // The server wants a login but did not offer AUTH (nodemailer then goes on without one).
  if (ctx.proto === 'smtp' && (rc === 530 || /authentication required|auth(entication)? is required/.test(text))) {
    return r('auth', `${who}${where} требует вход, но не предложил его на этом подключении: обычно вход разрешён только по защищённому соединению.`, ports, false);
  }

  // A 4xx reply at any stage (greylisting, "try again later"): temporary, whatever the command.
  if (rc >= 400 && rc < 500) {
    return r('server', `Сервер временно не принимает письма: ${said}`, 'Письмо будет отправлено повторно автоматически.', true);
  }
  if (
    ctx.proto === 'smtp' &&
    (has('EMESSAGE') || has('EENVELOPE')) &&
    ((rc === 552 && e.command !== 'RCPT TO') || /message size|size limit|exceeds.*size|too (big|large)|5\.3\.4/.test(text))
  ) {
    return r('message', `Письмо слишком большое: сервер${where} не принимает письма такого размера (${said}).`, 'Уменьшите вложения: сожмите файлы в архив или отправьте большой файл ссылкой.', false);
  }
  if (ctx.proto === 'smtp' && e.command === 'MAIL FROM' && rc >= 500) {
    return r('sender', `Сервер отказался принять письмо от адреса отправителя: ${said}`, 'Адрес отправителя должен совпадать с адресом ящика, через который идёт отправка.', false);
  }
  if (ctx.proto === 'smtp' && (has('EENVELOPE') || e.responseCode === 550 || e.responseCode === 553)) {
    return r('recipient', `Сервер отказался принять письмо для получателя: ${said}`, 'Проверьте адреса получателей.', false);
  }
  if (ctx.proto === 'smtp' && has('EMESSAGE')) {
    return r('message', `Сервер отказался принять письмо: ${said}`, null, false);
  }

  const raw = str(e.message) || String(err);
  return r('unknown', `Ошибка ${ctx.proto === 'smtp' ? 'отправки почты (SMTP)' : ctx.proto === 'imap' ? 'почты (IMAP)' : 'почты'}${where}: ${raw}`, `${HINTS.enable} ${HINTS.appPassword} ${ports}`, true);
}

/** The SMTP reply code an error carries (nodemailer's `responseCode`), or 0. */
export function smtpCode(err: unknown): number {
  const rc = err && typeof err === 'object' ? (err as ErrLike).responseCode : undefined;
  return typeof rc === 'number' ? rc : 0;
}

/**
 * Whether the outbox tries again by itself after a failed send: the server's reply code decides
 * (4xx "try later" — yes; 5xx "never like this" — no, the user has to change something); without
 * one (network trouble, server down), yes unless the message or a recipient was refused.
 */
export function retryByItself(err: unknown, d: RuError): boolean {
  const rc = smtpCode(err);
  if (rc >= 500) return false;
  if (rc >= 400) return true;
  return d.kind !== 'recipient' && d.kind !== 'sender' && d.kind !== 'message';
}

export interface RejectedRecipient {
  address: string;
  /** The SMTP reply code, when the server gave one. */
  code: number | null;
  response: string;
}

/** Some recipients refused while the others took the message. */
export function describeRejectedRecipients(list: RejectedRecipient[]): RuError {
  const who = list.map((x) => (x.response ? `${x.address} (${x.response})` : x.address)).join('; ');
  if (list.every((x) => x.code !== null && x.code >= 400 && x.code < 500)) {
    return {
      kind: 'server',
      code: 'mail-server',
      message: `Письмо пока не доставлено получателям: ${who} — сервер временно не принимает для них письма. Остальным получателям оно отправлено.`,
      hint: 'Этим получателям письмо будет отправлено повторно автоматически.',
      transient: true,
    };
  }
  return {
    kind: 'recipient',
    code: 'mail-recipient',
    message: `Сервер отказался принять письмо для получателей: ${who}. Остальным получателям оно отправлено.`,
    hint: 'Проверьте адреса; «Отправить сейчас» отправит письмо только этим получателям.',
    transient: false,
  };
}

/** The line shown in lists: message + hint. */
export function ruLine(d: RuError): string {
  return d.hint ? `${d.message} ${d.hint}` : d.message;
}
