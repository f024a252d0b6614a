/**
 * routingMode `group` (DESIGN.md "Who hears of a call"): keeps one Mango operator group equal
 * to the set of active employees accepting calls, through `groups` + `group/update`
 * (mango-api.md §5.2). `group/update` replaces the whole operator list, so every sync reads the
 * group first and sends the complete list, and only when it differs.
 *
 * Syncs are serialized: one in flight per instance, triggers during it coalesce into one more
 * run; across instances a Postgres advisory lock orders them, and each run reads the employees
 * inside the lock, so the last run always sends the latest state. Transient failures (429,
 * 5xx, network, timeout) are retried with backoff; a 3xxx answer never is (lockout, §1.4).
 */
import type { Db, Queryable } from '../db/db';
import type { Logger } from '../log';
import type { MangoSettingsStore } from './settings';
import type { MangoServices } from './services';
import { MangoError } from './client';
import { Aborted, backoffMs, describeMangoError, isTransient, sleep } from './pacing';

export interface GroupSyncResult {
  ok: boolean;
  /** 'skipped': not in group mode / not configured; nothing stored. */
  outcome: 'updated' | 'unchanged' | 'failed' | 'skipped';
  message: string;
  operators?: string[];
}

export interface GroupSyncOptions {
  /** First retry delay; doubles each attempt (jittered). */
  retryBaseMs: number;
  /** Attempts per sync, the first included. */
  maxAttempts: number;
  /** Periodic re-sync (someone may edit the group in Mango's cabinet); 0 disables. */
  resyncEveryMs: number;
}

interface Accepting {
  id: number;
  name: string;
  mango_user_id: string | null;
}

const LOCK_KEY = 74202;

export class GroupSync {
  readonly options: GroupSyncOptions;
  private running: Promise<void> | null = null;
  private dirty = false;
  private stopped = false;
  private abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  /** The last finished run (tests, diagnostics). */
  last: GroupSyncResult | null = null;

  constructor(
    private db: Db,
    private settings: MangoSettingsStore,
    private mango: MangoServices,
    private log: Logger,
    options: Partial<GroupSyncOptions> = {},
  ) {
    this.options = { retryBaseMs: 1000, maxAttempts: 6, resyncEveryMs: 0, ...options };
  }

  /** Hooks status changes and syncs once now. */
  start(): void {
    const prev = this.mango.onStatusChanged;
    this.mango.onStatusChanged = () => {
      prev?.();
      this.trigger();
    };
    this.trigger();
    if (this.options.resyncEveryMs > 0) {
      this.timer = setInterval(() => this.trigger(), this.options.resyncEveryMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }

  /** Something changed: sync now, or once more after the sync in flight. */
  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.running) this.running = this.loop();
  }

  /** Resolves when no sync is running or pending. */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        try {
          this.last = await this.syncWithRetry();
        } catch (err) {
          if (err instanceof Aborted) break;
          this.log.error({ err }, 'group sync failed unexpectedly');
        }
      }
    } finally {
      this.running = null;
    }
  }

  private async syncWithRetry(): Promise<GroupSyncResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.syncOnce();
        if (r.outcome !== 'skipped') await this.store(r);
        return r;
      } catch (err) {
        if (err instanceof Aborted) throw err;
        const retry = isTransient(err) && attempt + 1 < this.options.maxAttempts && !this.stopped;
        this.log.warn({ err: describeMangoError(err), attempt, retry }, 'Mango group sync failed');
        if (retry) {
          await sleep(backoffMs(attempt, this.options.retryBaseMs), this.abort.signal);
          continue;
        }
        const r: GroupSyncResult = { ok: false, outcome: 'failed', message: failureMessage(err, attempt + 1) };
        await this.store(r);
        return r;
      }
    }
  }

  /** One read-compare-write pass; throws MangoError on Mango failures. */
  async syncOnce(): Promise<GroupSyncResult> {
    const s = await this.settings.get();
    if (s.routingMode !== 'group' || !s.groupId) return { ok: true, outcome: 'skipped', message: 'Режим «группа» не включён' };
    if (!s.enabled || !s.apiKey || !s.apiSalt) return { ok: true, outcome: 'skipped', message: 'Интеграция с Манго выключена или не настроена' };
    const groupId = s.groupId;
    // Postgres may be shared by several relays: one sync at a time, reading employees inside
    // the lock. The embedded PGlite has one process and one connection: no lock, no held tx.
    if (this.db.kind === 'postgres') {
      return this.db.tx(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        return this.pass(q, groupId);
      });
    }
    return this.pass(this.db, groupId);
  }

  private async pass(q: Queryable, groupId: string): Promise<GroupSyncResult> {
    const accepting = (
      await q.query<Accepting>('SELECT id, name, mango_user_id FROM employees WHERE active AND accept_calls ORDER BY name, id')
    ).rows;
    const withId = accepting.filter((e) => e.mango_user_id);
    const lacking = accepting.filter((e) => !e.mango_user_id);
    const desired = [...new Set(withId.map((e) => String(e.mango_user_id)))];

    const pacer = this.mango.pacer;
    await pacer.slot('groups', this.abort.signal);
    const r = await this.mango.client.call<{ groups?: MangoGroup[] }>('groups', { group_id: groupId, show_users: 1 });
    const group = (Array.isArray(r.groups) ? r.groups : []).find((g) => String(g.id) === groupId);
    if (!group) throw new MangoError('not-found', null, `Группа операторов ${groupId} не найдена в Манго: проверьте выбранную группу`);
    if (!Array.isArray(group.operators)) throw new MangoError('http', null, 'Манго не вернул состав группы операторов');
    const current = group.operators.map((o) => String(o.id));
    const name = group.name ? `«${group.name}»` : groupId;
    const missingNote = lacking.length
      ? ` Нет Mango ID у принимающих звонки: ${lacking.map((e) => e.name).join(', ')} — выполните импорт сотрудников из Манго.`
      : '';

    const empty = desired.length === 0 ? ' Никто не принимает звонки: группа пуста.' : '';
    const want = new Set(desired);
    const have = new Set(current);
    const added = desired.filter((id) => !have.has(id));
    const removed = current.filter((id) => !want.has(id));
    if (added.length === 0 && removed.length === 0 && current.length === new Set(current).size) {
      return { ok: true, outcome: 'unchanged', operators: current, message: `Группа ${name} уже совпадает: операторов ${desired.length}.${empty}${missingNote}` };
    }
    // The complete list, keeping the current order of those who stay.
    const next = [...current.filter((id, i) => want.has(id) && current.indexOf(id) === i), ...added];
    await pacer.slot('group/update', this.abort.signal);
    await this.mango.client.call('group/update', { group_id: groupId, group: { operators: next.map((id) => ({ id })) } });
    this.log.info({ groupId, operators: next.length, added: added.length, removed: removed.length }, 'Mango operator group updated');
    return {
      ok: true,
      outcome: 'updated',
      operators: next,
      message: `Группа ${name} обновлена: операторов ${next.length} (добавлено ${added.length}, убрано ${removed.length}).${empty}${missingNote}`,
    };
  }

  private async store(r: GroupSyncResult): Promise<void> {
    try {
      await this.settings.update({ lastGroupSync: { ok: r.ok, at: new Date().toISOString(), message: r.message } });
    } catch (err) {
      this.log.error({ err }, 'could not store the group sync result');
    }
  }
}

interface MangoGroup {
  id: number | string;
  name?: string;
  operators?: { id: number | string }[];
}

function failureMessage(err: unknown, attempts: number): string {
  const base = describeMangoError(err).replace(/[.\s]+$/, '');
  const tries = attempts > 1 ? ` Попыток: ${attempts}.` : '';
  if (err instanceof MangoError && !isTransient(err)) return `Не удалось синхронизировать группу: ${base}.${tries} Автоповтор не выполняется, чтобы Манго не заблокировал API; исправьте настройки — синхронизация повторится при следующем изменении статусов.`;
  return `Не удалось синхронизировать группу: ${base}.${tries} Повтор — при следующем изменении статусов.`;
}
