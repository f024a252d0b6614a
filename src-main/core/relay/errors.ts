/**
 * What can go wrong talking to the relay, as codes the UI can act on and Russian messages it
 * can show as they are. The same mapping serves HTTP requests and the feed socket.
 */
export type RelayErrorCode =
  | 'invalid-credentials'
  | 'relay-unreachable'
  | 'certificate'
  | 'session-expired'
  | 'not-logged-in'
  | 'forbidden'
  | 'not-found'
  | 'bad-response'
  | 'relay-error'
  | (string & {});

export class RelayError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

export const MSG = {
  invalidCredentials: 'Неверный логин или пароль',
  unreachable: 'Сервер телефонии недоступен. Проверьте адрес сервера и подключение к сети',
  timeout: 'Сервер телефонии недоступен: нет ответа',
  notFoundHost: 'Сервер телефонии недоступен: адрес не найден. Проверьте адрес сервера',
  certificate: 'Ошибка сертификата сервера телефонии: соединение небезопасно. Обратитесь к администратору',
  sessionExpired: 'Сессия истекла. Войдите снова',
  notLoggedIn: 'Вход не выполнен',
  forbidden: 'Недостаточно прав',
  badResponse: 'Сервер телефонии ответил непонятно. Проверьте адрес сервера',
  relayTooOld: 'Эта функция появится после обновления сервера телефонии. Обратитесь к администратору сервера',
} as const;

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Walks `cause` chains (undici wraps the socket error) to the first error code. */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    const n = (cur as { name?: unknown }).name;
    if (n === 'TimeoutError' || n === 'AbortError') codes.push(n);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

/** Maps a thrown network error (fetch or ws) to a RelayError. */
export function networkError(err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  const codes = errorCodes(err);
  if (codes.some((c) => CERT_CODES.has(c) || c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || c.includes('CERT')))
    return new RelayError('certificate', MSG.certificate);
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return new RelayError('relay-unreachable', MSG.notFoundHost);
  if (codes.includes('TimeoutError') || codes.includes('AbortError') || codes.includes('UND_ERR_CONNECT_TIMEOUT') || codes.includes('ETIMEDOUT'))
    return new RelayError('relay-unreachable', MSG.timeout);
  return new RelayError('relay-unreachable', MSG.unreachable);
}

export function isSessionExpired(err: unknown): boolean {
  return err instanceof RelayError && err.code === 'session-expired';
}
