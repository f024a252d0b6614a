/**
 * «Правила сортировки»: an account's ordered rules (conditions on sender, recipients, subject,
 * text; actions move / mark read / flag / delete; «остановить обработку»), stored in mail_rules.
 *
 * The sync hands over mail new in INBOX (the same notion as the new-mail notification: not the
 * first download of a folder). The rules act through the service's own local actions, so the
 * mail is filed here at once and the changes reach the server through the queued mail_ops like
 * any user action (offline-tolerant, bulk, kept across restarts).
 *
 * The sync runs the rules before it announces new mail, so what they moved out of INBOX or
 * marked read is neither notified nor counted unread in INBOX. Mail moved but left unread is
 * not notified either (unlike Thunderbird): a rule filing mail away says «not now»; the
 * folder's own unread count shows it.
 */
import { foldRu } from '../../../src-shared/fold';
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import {
  MailRuleActionsSchema,
  MailRuleConditionSchema,
  type MailRuleCondition,
  type MailRuleInputSchema,
  type MailRuleView,
} from '../../../src-shared/ipc/mail';
import { MailError } from './errors-ru';
import type { FolderRow, MailStore } from './store';

interface RuleRow {
  id: number;
  account_id: number;
  position: number;
  name: string;
  enabled: number;
  match: string;
  conditions_json: string;
  actions_json: string;
  stop: number;
  target_path: string | null;
}

/** What a rule save carries (the contract's parsed input). */
export type RuleInput = z.output<typeof MailRuleInputSchema>;

/** A stored rule: its move's folder also by the path it had when saved. */
export type Rule = Omit<RuleInput, 'id'> & { id: number; position: number; targetPath: string | null };

/** The local actions the rules use: the same ones as the list's buttons. */
export interface RuleEffects {
  setFlags(ids: number[], f: { seen?: boolean; flagged?: boolean }): void;
  trash(ids: number[]): void;
  move(ids: number[], folderId: number): void;
}


/** An address as typed in a rule: «<a@b.ru>», «A@B.RU » → «a@b.ru». */
function plainAddress(s: string): string {
  return s.trim().replace(/^<|>$/g, '').trim().toLowerCase();
}

interface MessageFields {
  id: number;
  account_id: number;
  folder_id: number;
  uid: number;
  subject: string;
  from_name: string;
  from_email: string;
  to_json: string;
  cc_json: string;
  text: string;
}

/** A message's fields as the conditions read them, folded once and only when a condition asks. */
class Subject {
  private cache = new Map<string, string>();
  constructor(readonly m: MessageFields) {}

  get(field: MailRuleCondition['field']): string {
    let v = this.cache.get(field);
    if (v !== undefined) return v;
    const m = this.m;
    if (field === 'from') v = foldRu(`${m.from_name} <${m.from_email}>`);
    else if (field === 'subject') v = foldRu(m.subject);
    else if (field === 'body') v = foldRu(m.text);
    else {
      const list = [...parseAddresses(m.to_json), ...parseAddresses(m.cc_json)];
      v = foldRu(list.map((a) => `${a.name} <${a.email}>`).join(', '));
    }
    this.cache.set(field, v);
    return v;
  }
}

function parseAddresses(json: string): { name: string; email: string }[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as { name?: string; email?: string }[]).map((a) => ({ name: a.name ?? '', email: a.email ?? '' })) : [];
  } catch {
    return [];
  }
}

function conditionHolds(c: MailRuleCondition, s: Subject): boolean {
  if (c.op === 'equals') return plainAddress(s.m.from_email) === plainAddress(c.value);
  if (c.op === 'domain') {
    const domain = c.value.trim().toLowerCase().replace(/^\*?\.?@?/, '');
    const email = plainAddress(s.m.from_email);
    // Subdomains too (mail.zakupki.gov.ru), never a longer name (evilzakupki.gov.ru).
    return domain.length > 0 && (email.endsWith(`@${domain}`) || email.endsWith(`.${domain}`));
  }
  const needle = foldRu(c.value.trim());
  return needle.length > 0 && s.get(c.field).includes(needle);
}

function ruleMatches(r: Pick<Rule, 'match' | 'conditions'>, s: Subject): boolean {
  if (!r.conditions.length) return false;
  return r.match === 'any' ? r.conditions.some((c) => conditionHolds(c, s)) : r.conditions.every((c) => conditionHolds(c, s));
}

/** What the rules decided for one message. */
interface Outcome {
  markRead: boolean;
  flag: boolean;
  trash: boolean;
  moveTo: number | null;
}

/**
 * Rules first to last. Flags add up; the mail goes where the first rule that files it says
 * (a later move cannot take it from there), and «Удалить» wins over a move. A rule whose folder
 * is gone still marks and flags.
 */
function decide(rules: Rule[], s: Subject, resolve: (r: Rule) => FolderRow | null): Outcome | null {
  let out: Outcome | null = null;
  for (const r of rules) {
    if (!ruleMatches(r, s)) continue;
    out ??= { markRead: false, flag: false, trash: false, moveTo: null };
    if (r.actions.markRead) out.markRead = true;
    if (r.actions.flag) out.flag = true;
    if (r.actions.delete) out.trash = true;
    else if (r.actions.moveTo !== null && out.moveTo === null) {
      const f = resolve(r);
      if (f && f.id !== s.m.folder_id) out.moveTo = f.id;
    }
    if (r.stop) break;
  }
  return out;
}

/** Mail processed by the rules remembered per folder and UID, so a failed MOVE coming back is not processed again and again. */
const MAX_REMEMBERED = 50_000;

export class MailRules {
  private processed = new Set<string>();

  constructor(
    private readonly db: Database.Database,
    private readonly store: MailStore,
  ) {}

  private rows(accountId: number): Rule[] {
    return (this.db.prepare('SELECT * FROM mail_rules WHERE account_id = ? ORDER BY position, id').all(accountId) as RuleRow[]).map(toRule);
  }

  private row(id: number): Rule {
    const r = this.db.prepare('SELECT * FROM mail_rules WHERE id = ?').get(id) as RuleRow | undefined;
    if (!r) throw new MailError('mail-no-rule', 'Правило не найдено: возможно, его уже удалили.');
    return toRule(r);
  }

  /**
   * The rule's folder: by id, so a rename made here (or recognised as one) is followed; failing
   * that, a folder of the account at the path it was saved with (deleted and created again).
   */
  target(r: Rule): FolderRow | null {
    if (r.actions.moveTo === null) return null;
    const f = this.store.folder(r.actions.moveTo);
    if (f && f.account_id === r.accountId) return f;
    return (r.targetPath && this.store.folderByPath(r.accountId, r.targetPath)) || null;
  }

  view(r: Rule): MailRuleView {
    const f = this.target(r);
    return {
      id: r.id,
      accountId: r.accountId,
      name: r.name,
      enabled: r.enabled,
      match: r.match,
      conditions: r.conditions,
      actions: r.actions,
      stop: r.stop,
      position: r.position,
      target: f ? { id: f.id, path: f.path, name: f.name } : null,
      needsAttention: r.actions.moveTo !== null && !f,
      targetPath: f?.path ?? r.targetPath,
    };
  }

  list(accountId: number): MailRuleView[] {
    return this.rows(accountId).map((r) => this.view(r));
  }

  save(input: RuleInput): MailRuleView {
    const before = input.id !== undefined ? this.row(input.id) : null;
    if (before && before.accountId !== input.accountId) throw new MailError('mail-rule-account', 'Правило нельзя перенести в другой ящик.');
    let targetPath: string | null = null;
    if (input.actions.moveTo !== null) {
      const f = this.store.folder(input.actions.moveTo);
      if (f && f.account_id === input.accountId) targetPath = f.path;
      else if (before && before.actions.moveTo === input.actions.moveTo) targetPath = before.targetPath;
      else throw new MailError('mail-no-folder', 'Папка для перемещения не найдена: возможно, её удалили.', 'Выберите папку этого ящика ещё раз.');
    }
    const now = new Date().toISOString();
    const cols = [input.name, input.enabled ? 1 : 0, input.match, JSON.stringify(input.conditions), JSON.stringify(input.actions), input.stop ? 1 : 0, targetPath, now] as const;
    let id: number;
    if (before) {
      this.db
        .prepare('UPDATE mail_rules SET name = ?, enabled = ?, match = ?, conditions_json = ?, actions_json = ?, stop = ?, target_path = ?, updated_at = ? WHERE id = ?')
        .run(...cols, before.id);
      id = before.id;
    } else {
      const pos = (this.db.prepare('SELECT COALESCE(MAX(position) + 1, 0) AS p FROM mail_rules WHERE account_id = ?').get(input.accountId) as { p: number }).p;
      id = Number(
        this.db
          .prepare('INSERT INTO mail_rules (name, enabled, match, conditions_json, actions_json, stop, target_path, updated_at, account_id, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(...cols, input.accountId, pos, now).lastInsertRowid,
      );
    }
    return this.view(this.row(id));
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM mail_rules WHERE id = ?').run(id);
  }

  deleteAccount(accountId: number): void {
    this.db.prepare('DELETE FROM mail_rules WHERE account_id = ?').run(accountId);
  }

  reorder(accountId: number, ids: number[]): MailRuleView[] {
    const current = this.rows(accountId).map((r) => r.id);
    if (ids.length !== current.length || new Set(ids).size !== ids.length || ids.some((id) => !current.includes(id))) {
      throw new MailError('mail-rules-changed', 'Список правил изменился.', 'Откройте настройки почты ещё раз.');
    }
    const upd = this.db.prepare('UPDATE mail_rules SET position = ? WHERE id = ?');
    this.db.transaction(() => ids.forEach((id, i) => upd.run(i, id)))();
    return this.list(accountId);
  }

  private fields(ids: number[]): MessageFields[] {
    if (!ids.length) return [];
    return this.db
      .prepare(
        `SELECT id, account_id, folder_id, uid, subject, from_name, from_email, to_json, cc_json, text
         FROM mail_messages WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      )
      .all(JSON.stringify(ids)) as MessageFields[];
  }

  /**
   * Runs `rules` over the messages and acts on the matches, grouped into a few bulk actions:
   * flags first, so a flag reaches the moved copy (queued changes go out in order). Returns how
   * many messages matched.
   */
  private run(rules: Rule[], ids: number[], effects: RuleEffects): number {
    if (!rules.length || !ids.length) return 0;
    const targets = new Map<number, FolderRow | null>();
    const resolve = (r: Rule) => {
      if (!targets.has(r.id)) targets.set(r.id, this.target(r));
      return targets.get(r.id) ?? null;
    };
    const read: number[] = [];
    const flag: number[] = [];
    const trash: number[] = [];
    const moves = new Map<number, number[]>();
    let matched = 0;
    for (const m of this.fields(ids)) {
      const o = decide(rules, new Subject(m), resolve);
      if (!o) continue;
      matched++;
      if (o.markRead) read.push(m.id);
      if (o.flag) flag.push(m.id);
      if (o.trash) trash.push(m.id);
      else if (o.moveTo !== null) moves.set(o.moveTo, [...(moves.get(o.moveTo) ?? []), m.id]);
    }
    this.db.transaction(() => {
      if (read.length) effects.setFlags(read, { seen: true });
      if (flag.length) effects.setFlags(flag, { flagged: true });
      if (trash.length) effects.trash(trash);
      for (const [folderId, list] of moves) effects.move(list, folderId);
    })();
    return matched;
  }

  /** Mail new in INBOX (after the first download): the account's enabled rules, once per message. */
  arrived(accountId: number, ids: number[], effects: RuleEffects): number {
    const rules = this.rows(accountId).filter((r) => r.enabled);
    if (!rules.length) return 0;
    if (this.processed.size > MAX_REMEMBERED) this.processed.clear();
    const validity = new Map<number, number | null>();
    const fresh = this.fields(ids)
      .filter((m) => {
        if (!validity.has(m.folder_id)) validity.set(m.folder_id, this.store.folder(m.folder_id)?.uidvalidity ?? null);
        const key = `${m.folder_id}:${validity.get(m.folder_id)}:${m.uid}`;
        if (this.processed.has(key)) return false;
        this.processed.add(key);
        return true;
      })
      .map((m) => m.id);
    return this.run(rules, fresh, effects);
  }

  /** «Применить сейчас»: one rule (on or off) over the newest `limit` messages of the account's INBOX. */
  applyNow(id: number, limit: number, effects: RuleEffects): { matched: number; scanned: number } {
    const r = this.row(id);
    const inbox = this.store.folders(r.accountId).find((f) => f.path.toUpperCase() === 'INBOX');
    if (!inbox) throw new MailError('mail-no-folder', 'Папка «Входящие» ещё не загружена.', 'Дождитесь синхронизации ящика.');
    const ids = this.store.listIds(inbox.id, limit).ids;
    // Applied by hand, it acts whatever «остановить» says: there is no next rule here.
    return { matched: this.run([r], ids, effects), scanned: ids.length };
  }
}

function toRule(r: RuleRow): Rule {
  const conditions = parseJson(r.conditions_json, (v) => MailRuleConditionSchema.array().parse(v), [] as MailRuleCondition[]);
  const actions = parseJson(r.actions_json, (v) => MailRuleActionsSchema.parse(v), { moveTo: null, markRead: false, flag: false, delete: false });
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    enabled: r.enabled === 1,
    match: r.match === 'any' ? 'any' : 'all',
    conditions,
    actions,
    stop: r.stop === 1,
    position: r.position,
    targetPath: r.target_path,
  };
}

/** A row that no longer parses (hand-edited database) becomes a rule that matches nothing. */
function parseJson<T>(json: string, parse: (v: unknown) => T, fallback: T): T {
  try {
    return parse(JSON.parse(json));
  } catch {
    return fallback;
  }
}
