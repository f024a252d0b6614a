import { mangoSign } from './sign';

export interface MangoCredentials {
  apiUrl: string;
  apiKey: string;
  apiSalt: string;
}

/** A Mango API failure with the cause named (mango-api.md §1.4, §7). */
export class MangoError extends Error {
  constructor(
    public code: 'bad-key' | 'bad-sign' | 'api-disabled' | 'bad-params' | 'not-found' | 'billing' | 'rate-limit' | 'locked-out' | 'server' | 'network' | 'timeout' | 'bad-url' | 'http',
    public result: number | null,
    message: string,
    public httpStatus: number | null = null,
  ) {
    super(message);
  }
}

export interface MangoResponse {
  status: number;
  body: Record<string, unknown> | null;
  text: string;
  location: string | null;
}

/**
 * Signed POSTs to Mango's VPBX API. Reads a result code from `result` or `code` (both seen in
 * the wild), treats HTTP 429/401 and 3xxx properly, never retries a 3xxx by itself.
 */
export class MangoClient {
  constructor(
    private creds: () => Promise<MangoCredentials>,
    private timeoutMs = 8000,
  ) {}

  async raw(path: string, params: object, opts: { redirect?: 'manual' | 'follow' } = {}): Promise<MangoResponse> {
    const c = await this.creds();
    if (!c.apiKey || !c.apiSalt) throw new MangoError('bad-key', null, 'Не заданы API Key и API Salt');
    let base: URL;
    try {
      base = new URL(c.apiUrl.endsWith('/') ? c.apiUrl : c.apiUrl + '/');
    } catch {
      throw new MangoError('bad-url', null, 'Неверный адрес VPBX Host');
    }
    const json = JSON.stringify(params ?? {});
    const body = new URLSearchParams({ vpbx_api_key: c.apiKey, sign: mangoSign(c.apiKey, json, c.apiSalt), json });
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        redirect: opts.redirect ?? 'follow',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new MangoError('timeout', null, 'Манго не ответил вовремя');
      throw new MangoError('network', null, `Нет соединения с ${base.host}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = res.status === 302 ? '' : await res.text();
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text, location: res.headers.get('location') };
  }

  /** A command or query expecting result 1000 (or, for users, a `users` array). */
  async call<T extends Record<string, unknown>>(path: string, params: object = {}): Promise<T> {
    const r = await this.raw(path, params);
    const code = resultCode(r.body);
    if (r.status === 429) throw new MangoError('rate-limit', code, 'Превышен лимит запросов к API Манго, повторите позже', 429);
    // HTTP 403 (not a 3xxx answer in a 200/420): the API connector is not activated in the cabinet.
    if (r.status === 403) throw new MangoError('api-disabled', code, 'API Манго не активирован в личном кабинете (HTTP 403)', 403);
    if (code != null && code !== 1000) throw errorForCode(code, r.status);
    if (r.status === 401) throw new MangoError('locked-out', code, 'API Манго временно отклоняет запросы после ошибок (блокировка на 2 минуты)', 401);
    if (r.status === 404) throw new MangoError('bad-url', code, 'Адрес API не найден: проверьте VPBX Host', 404);
    if (r.status >= 500) throw new MangoError('server', code, `Сервер Манго ответил ошибкой ${r.status}`, r.status);
    if (r.status !== 200 || !r.body) throw new MangoError('http', code, `Неожиданный ответ Манго: HTTP ${r.status}`, r.status);
    return r.body as T;
  }
}

export function resultCode(body: Record<string, unknown> | null): number | null {
  const v = body?.result ?? body?.code;
  if (v == null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n !== 0 ? n : null;
}

export function errorForCode(code: number, httpStatus: number | null = null): MangoError {
  if (code === 3105) return new MangoError('bad-key', code, 'Неверный API Key (код 3105): проверьте ключ в кабинете Манго', httpStatus);
  if (code === 3102) return new MangoError('bad-sign', code, 'Неверная подпись (код 3102): проверьте API Salt', httpStatus);
  if (code >= 2000 && code < 3000) return new MangoError('billing', code, `Ограничение биллинга Манго (код ${code}): проверьте баланс и тариф`, httpStatus);
  if (code === 3320) return new MangoError('not-found', code, 'Запись разговора не найдена (код 3320)', httpStatus);
  if (code === 3330) return new MangoError('not-found', code, 'Номер или сотрудник не найден в АТС (код 3330)', httpStatus);
  if (code >= 3300 && code < 3400) return new MangoError('not-found', code, `Объект не найден в АТС (код ${code})`, httpStatus);
  if (code >= 3000 && code < 4000) return new MangoError('bad-params', code, `Манго отклонил запрос: неверные параметры (код ${code})`, httpStatus);
  if (code >= 4000 && code < 5000) return new MangoError('bad-params', code, `Манго не может выполнить команду (код ${code})`, httpStatus);
  return new MangoError('server', code, `Ошибка сервера Манго (код ${code})`, httpStatus);
}
