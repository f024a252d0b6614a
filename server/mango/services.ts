import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db';
import type { Logger } from '../log';
import type { MangoTestDraft, MangoTestResult } from '../../src-shared/wire';
import { toMangoNumber } from '../../src-shared/phone';
import { MangoClient, MangoError, type MangoResponse } from './client';
import { MangoPacer } from './pacing';
import { forgetCommand, recordCommand, type CommandAction, type CommandOwner } from './commands';
import type { MangoSettingsStore } from './settings';
import { createEmployee, type EmployeeRow } from '../people/employees';
import type { Metrics } from '../metrics';

/** Russian diagnosis for the «Тест подключения» button, worded like the customer's guide. */
const TEST_MESSAGES: Record<MangoError['code'], string> = {
  'bad-key': 'Неверный API Key. Проверьте правильность API Key и Salt (Личный кабинет Манго → Настройки → API и интеграции).',
  'bad-sign': 'Неверный API Salt: подпись не совпала. Проверьте правильность API Key и Salt.',
  'api-disabled': 'API не активирован. Убедитесь, что API активирован в кабинете Манго.',
  'bad-params': 'Манго отклонил запрос. Проверьте, что VPBX ID и адрес API указаны корректно.',
  'not-found': 'Объект не найден в АТС. Проверьте, что VPBX ID указан корректно.',
  billing: 'Доступ к АТС ограничен биллингом Манго: проверьте баланс и тариф.',
  'rate-limit': 'Превышен лимит запросов к API Манго. Подождите минуту и повторите.',
  'locked-out': 'Манго временно заблокировал запросы после ошибочных попыток (до 2 минут). Проверьте API Key и Salt и повторите позже.',
  server: 'Сервер Манго ответил ошибкой. Повторите позже.',
  network: 'Нет соединения с сервером Манго. Проверьте VPBX Host и попробуйте отключить VPN/прокси.',
  timeout: 'Манго не ответил вовремя. Проверьте сеть и попробуйте отключить VPN/прокси.',
  'bad-url': 'Неверный адрес VPBX Host. Проверьте, что VPBX ID/адрес API указан корректно.',
  http: 'Неожиданный ответ сервера. Проверьте, что адрес API (VPBX Host) указан корректно.',
};

export interface MangoUser {
  general?: { name?: string; email?: string; user_id?: number | string; mobile?: string };
  telephony?: { extension?: string | null; numbers?: { number?: string; protocol?: string }[] };
}

/** Everything the relay asks of Mango's API. */
export class MangoServices {
  readonly client: MangoClient;
  /** The account's request schedule, shared with other instances through the database. */
  readonly pacer: MangoPacer;

  constructor(
    private db: Db,
    private settings: MangoSettingsStore,
    private log: Logger,
    private metrics: Metrics,
  ) {
    this.pacer = new MangoPacer(db);
    this.client = new MangoClient(async () => {
      const s = await settings.get();
      return { apiUrl: s.apiUrl, apiKey: s.apiKey, apiSalt: s.apiSalt ?? '' };
    });
  }

  /** Set by the routing mode that mirrors statuses into Mango (group sync). */
  onStatusChanged: (() => void) | null = null;

  /** An accept-calls flag, role or employee changed. */
  statusChanged(): void {
    this.onStatusChanged?.();
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      this.metrics.mangoApiErrors++;
      throw err;
    }
  }

  /**
   * «Тест подключения»: account/balance (read-only, mango-api.md §1.7), then the user count. With
   * a draft, the values typed but not saved are tested instead, and the result is not kept.
   */
  async testConnection(draft?: MangoTestDraft): Promise<MangoTestResult> {
    const isDraft = !!draft && Object.values(draft).some((v) => v !== undefined);
    const client = isDraft
      ? new MangoClient(async () => {
          const s = await this.settings.get();
          return { apiUrl: draft.apiUrl ?? s.apiUrl, apiKey: draft.apiKey ?? s.apiKey, apiSalt: draft.apiSalt ?? s.apiSalt ?? '' };
        })
      : this.client;
    let result: MangoTestResult;
    try {
      const bal = await this.track(client.call<{ balance?: number }>('account/balance', {}));
      let employeesFound: number | undefined;
      try {
        employeesFound = (await this.users(client)).length;
      } catch {
        employeesFound = undefined; // users are rate-limited to 1 per 2 s; the balance already proved key and salt
      }
      result = {
        ok: true,
        code: 'ok',
        message: `Подключение установлено.${employeesFound != null ? ` Сотрудников в АТС: ${employeesFound}.` : ''}`,
        employeesFound,
        balance: typeof bal.balance === 'number' ? bal.balance : undefined,
      };
    } catch (err) {
      const e = err instanceof MangoError ? err : new MangoError('server', null, String(err));
      result = { ok: false, code: e.code, message: `${TEST_MESSAGES[e.code]}${e.result ? ` (код ${e.result})` : ''}` };
    }
    if (isDraft) return { ...result, draft: true };
    await this.settings.update({ lastTest: { ok: result.ok, at: new Date().toISOString(), message: result.message } });
    return result;
  }

  async users(client = this.client): Promise<MangoUser[]> {
    const r = await this.track(client.call<{ users?: MangoUser[] }>('config/users/request', { ext_fields: ['general.user_id', 'general.mobile'] }));
    if (!Array.isArray(r.users)) throw new MangoError('http', null, 'Манго не вернул список сотрудников');
    return r.users;
  }

  /** Click-to-call: Mango rings the employee's own extension first, then the number. */
  async callback(extension: string, toNumber: string, owner: CommandOwner): Promise<{ commandId: string }> {
    return this.command('callback', owner, (commandId) => ({ command_id: commandId, from: { extension }, to_number: toMangoNumber(toNumber) }));
  }

  /** Hands a Connected leg to `toNumber` (an extension); `initiator`: the employee on the leg. */
  async transfer(callId: string, toNumber: string, initiator: string, method: 'blind' | 'hold', owner: CommandOwner): Promise<{ commandId: string }> {
    return this.command('transfer', owner, (commandId) => ({ command_id: commandId, call_id: callId, method, to_number: toNumber, initiator }));
  }

  /**
   * An employee's command whose final outcome (result/<command>) is told to them. Recorded before
   * it leaves: Mango may post the result before its HTTP answer reaches us.
   */
  private async command(action: CommandAction, owner: CommandOwner, params: (commandId: string) => Record<string, unknown>): Promise<{ commandId: string }> {
    const commandId = `asgard-${randomUUID()}`;
    await recordCommand(this.db, commandId, action, owner);
    try {
      await this.track(this.client.call(`commands/${action}`, params(commandId)));
    } catch (err) {
      // Refused at once: the employee gets this error now, and no result will follow. (After a
      // timeout Mango may still have taken it: its outcome may still come.)
      if (err instanceof MangoError && err.code !== 'timeout' && err.code !== 'network') await forgetCommand(this.db, commandId).catch(() => undefined);
      throw err;
    }
    return { commandId };
  }

  async hangup(callId: string): Promise<void> {
    await this.track(this.client.call('commands/call/hangup', { command_id: `asgard-${randomUUID()}`, call_id: callId }));
  }

  async route(callId: string, toNumber: string): Promise<void> {
    await this.track(this.client.call('commands/route', { command_id: `asgard-${randomUUID()}`, call_id: callId, to_number: toNumber }));
  }

  /** Recording bytes: queries/recording/post answers 302 to a one-shot link (§6.3). */
  async recording(recordingId: string): Promise<Response> {
    const r: MangoResponse = await this.track(this.client.raw('queries/recording/post', { recording_id: recordingId, action: 'download' }, { redirect: 'manual' }));
    if ((r.status === 302 || r.status === 301) && r.location) {
      const audio = await fetch(r.location, { signal: AbortSignal.timeout(30_000) });
      if (!audio.ok || !audio.body) throw new MangoError('not-found', null, 'Запись недоступна');
      return audio;
    }
    const code = Number(r.body?.result ?? r.body?.code ?? 0);
    throw new MangoError('not-found', code || null, code === 3320 ? 'Запись разговора не найдена' : `Запись недоступна (HTTP ${r.status})`);
  }

  /** Creates or updates employees from Mango's users: match by user id, then extension, then email; never deletes. */
  async importUsers(): Promise<{ created: number; updated: number }> {
    const users = await this.users();
    let created = 0;
    let updated = 0;
    await this.db.tx(async (q) => {
      const existing = (await q.query<EmployeeRow>('SELECT * FROM employees')).rows;
      for (const u of users) {
        const userId = u.general?.user_id != null ? String(u.general.user_id) : null;
        const ext = u.telephony?.extension || null;
        const email = u.general?.email?.trim().toLowerCase() || null;
        const name = u.general?.name?.trim() || (ext ? `Сотрудник ${ext}` : 'Сотрудник');
        const match =
          (userId && existing.find((e) => e.mango_user_id === userId)) ||
          (ext && existing.find((e) => e.extension === ext)) ||
          (email && existing.find((e) => e.email?.toLowerCase() === email)) ||
          null;
        if (match) {
          await q.query(
            'UPDATE employees SET mango_user_id = COALESCE($2, mango_user_id), extension = COALESCE($3, extension), email = COALESCE(email, $4), updated_at = now() WHERE id = $1',
            [match.id, userId, ext, email],
          );
          updated++;
        } else {
          const login = email ?? (ext ? `ext${ext}` : `mango${userId ?? randomUUID().slice(0, 8)}`);
          if (existing.some((e) => e.login === login)) continue;
          const row = await createEmployee(q, { login, name, role: 'other', extension: ext, email, mangoUserId: userId });
          existing.push(row);
          created++;
        }
      }
    });
    this.log.info({ created, updated }, 'imported Mango users');
    return { created, updated };
  }
}
