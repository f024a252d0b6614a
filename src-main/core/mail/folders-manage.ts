/**
 * «Новая папка…», «Переименовать…», «Удалить папку»: done on the IMAP server first, over a
 * connection of their own (the sync's one stays on its loop), then mirrored into the local
 * store in one transaction and announced (`changed`: the service emits `mail:changed` and tells
 * the account's sync, so a folder list it read before the change is not saved over it).
 *
 * Every refusal that needs no server (system folders, names, a name already listed) comes
 * before connecting, so it reads the same offline. Without the server nothing changes locally:
 * folders live on the server, and a local-only folder would vanish at the next LIST.
 *
 * Deleting a folder deletes its subfolders too, deepest first, after a confirmation that names
 * how many there are and how many letters they hold (`deletePreview`, counted by the server).
 * That is what Thunderbird, Apple Mail and Roundcube do; refusing until the user has emptied
 * the tree by hand is what nobody expects. IMAP's own DELETE does not recurse (Dovecot deletes
 * the parent's mail and leaves the children under a \Noselect placeholder), so the client must.
 */
import type { ImapFlow, ListResponse } from 'imapflow';
import type { MailFolderDeletePreview, MailFolderView } from '../../../src-shared/ipc/mail';
import { MAIL_FOLDER_TITLES } from '../../../src-shared/mail-folder-titles';
import type { AccountRecord } from './accounts';
import { MailError, describeMailError } from './errors-ru';
import type { FolderRow, MailStore } from './store';

export interface FolderManageDeps {
  store: MailStore;
  /** The account (throws the usual Russian error when it is gone). */
  account(id: number): AccountRecord;
  openImap(acc: AccountRecord): Promise<ImapFlow>;
  /** Runs right after a change reached the local store, in the same tick. */
  changed(accountId: number, folderIds: number[]): void;
}

const PROTECTED_HINT = 'Их использует почтовый сервер; переименовать и удалить можно только свои папки.';

function roleOf(f: { path: string; special_use: string | null }): string | null {
  return f.path.toUpperCase() === 'INBOX' ? '\\Inbox' : f.special_use;
}

function titleOf(f: FolderRow): string {
  const r = roleOf(f);
  return (r && MAIL_FOLDER_TITLES[r]) || f.name;
}

/** Dovecot appends its timing to every reply: "… (0.001 + 0.000 secs)." */
function serverText(e: unknown): string {
  const x = e as { responseText?: unknown; message?: unknown };
  const t = typeof x.responseText === 'string' && x.responseText ? x.responseText : String(x.message ?? e);
  return t.replace(/\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)\.?\s*$/, '').trim();
}

const statusCode = (e: unknown) => String((e as { serverResponseCode?: unknown }).serverResponseCode ?? '').toUpperCase();

function duplicate(name: string, parent: FolderRow | undefined): MailError {
  return new MailError(
    'mail-folder-exists',
    parent ? `В папке «${titleOf(parent)}» уже есть папка «${name}».` : `Папка «${name}» уже есть.`,
    'Выберите другое имя.',
  );
}

function gone(name: string): MailError {
  return new MailError('mail-no-folder', `Папки «${name}» уже нет на сервере: возможно, её удалили в другой программе.`, 'Список папок обновится сам.');
}

export class FolderManager {
  constructor(private readonly deps: FolderManageDeps) {}

  private get store(): MailStore {
    return this.deps.store;
  }

  private folder(id: number): FolderRow {
    const f = this.store.folder(id);
    if (!f) throw new MailError('mail-no-folder', 'Папка не найдена: возможно, её удалили.', 'Обновите список папок и выберите папку ещё раз.');
    return f;
  }

  private view(accountId: number, id: number): MailFolderView {
    const v = this.store.folderViews(accountId).find((x) => x.id === id);
    if (!v) throw new MailError('mail-no-folder', 'Папка не найдена: возможно, её удалили.');
    return v;
  }

  /** The account's hierarchy delimiter as its folder list gives it (null: not known yet, or a flat server). */
  private delimiterOf(accountId: number): string | null {
    return this.store.folders(accountId).find((f) => f.delimiter)?.delimiter ?? null;
  }

  private descendants(f: FolderRow, delim: string | null): FolderRow[] {
    if (!delim) return [];
    return this.store.folders(f.account_id).filter((x) => x.path.startsWith(f.path + delim));
  }

  /** INBOX and the folders with a role (Sent, Drafts, Trash, Junk, Archive…) keep their names: the server and this app find them so. */
  private refuseProtected(f: FolderRow, verb: 'переименовать' | 'удалить'): void {
    if (roleOf(f)) throw new MailError('mail-folder-protected', `Системную папку «${titleOf(f)}» нельзя ${verb}.`, PROTECTED_HINT);
    const inner = this.descendants(f, f.delimiter ?? this.delimiterOf(f.account_id)).find((x) => roleOf(x));
    if (inner) {
      throw new MailError('mail-folder-protected', `Папку «${f.name}» нельзя ${verb}: в ней системная папка «${titleOf(inner)}».`, PROTECTED_HINT);
    }
  }

  /** What zod cannot know: the server's delimiter, and INBOX's reserved name at the top. */
  private checkName(name: string, delim: string | null, topLevel: boolean): void {
    if (delim && name.includes(delim)) {
      throw new MailError(
        'mail-bad-folder-name',
        `Имя папки не может содержать «${delim}»: этим знаком почтовый сервер отделяет вложенные папки.`,
        'Чтобы создать папку внутри другой, выберите её и нажмите «Новая папка…».',
      );
    }
    if (topLevel && name.toUpperCase() === 'INBOX') {
      throw new MailError('mail-folder-exists', 'Имя «INBOX» занято папкой «Входящие».', 'Выберите другое имя.');
    }
  }

  private async connect(acc: AccountRecord, what: string): Promise<ImapFlow> {
    try {
      return await this.deps.openImap(acc);
    } catch (e) {
      const d = describeMailError(e, { proto: 'imap', host: acc.imap.host, port: acc.imap.port });
      if (d.transient) {
        throw new MailError(d.code, `${what} можно только при связи с почтовым сервером, а её нет: ${d.message}`, `${d.hint ?? ''} Папки хранятся на сервере: повторите, когда связь появится.`.trim());
      }
      throw new MailError(d.code, `${what} не удалось: ${d.message}`, d.hint);
    }
  }

  /**
   * A failed CREATE / RENAME / DELETE in Russian. Whether a command the connection died in was
   * done is not known: the folder list is read again (`changed`) so the pane shows what is.
   */
  private refusal(client: ImapFlow, e: unknown, acc: AccountRecord, verb: string, name: string, parent?: FolderRow): MailError {
    if (!client.usable) {
      this.deps.changed(acc.id, []);
      const d = describeMailError(e, { proto: 'imap', host: acc.imap.host, port: acc.imap.port });
      return new MailError(d.code, `Связь с почтовым сервером прервалась, папка «${name}», возможно, не ${verb}: ${d.message}`, 'Список папок обновится, когда связь восстановится.');
    }
    const code = statusCode(e);
    if (code === 'ALREADYEXISTS') return duplicate(name, parent);
    if (code === 'NONEXISTENT') {
      this.deps.changed(acc.id, []);
      return gone(name);
    }
    return new MailError('mail-folder-refused', `Почтовый сервер отказался: папка «${name}» не ${verb}. Ответ сервера: ${serverText(e)}`, null);
  }

  async create(args: { accountId: number; parentId?: number; name: string }): Promise<MailFolderView> {
    const acc = this.deps.account(args.accountId);
    const { name } = args;
    let parent: FolderRow | undefined;
    if (args.parentId !== undefined) {
      parent = this.folder(args.parentId);
      if (parent.account_id !== acc.id) throw new MailError('mail-no-folder', 'Папка не найдена в этом почтовом ящике.');
    }
    let delim = parent?.delimiter ?? this.delimiterOf(acc.id);
    this.checkName(name, delim, !parent);
    const known = (path: string) => this.store.folders(acc.id).some((f) => f.path === path);
    if (parent && delim && known(parent.path + delim + name)) throw duplicate(name, parent);
    if (!parent && known(name)) throw duplicate(name, parent);

    const client = await this.connect(acc, 'Создать папку');
    try {
      // What the server says now beats a local list that may not be read yet.
      delim = client.namespace?.delimiter || delim;
      this.checkName(name, delim, !parent);
      if (parent && !delim) {
        throw new MailError('mail-folder-flat', 'Этот почтовый сервер не поддерживает вложенные папки.', 'Создайте папку на верхнем уровне.');
      }
      // A top-level path gets the server's namespace prefix (INBOX. on Courier/Cyrus) from imapflow.
      const path = parent ? parent.path + delim + name : name;
      let res: { path: string; created?: boolean } | undefined;
      try {
        res = (await client.mailboxCreate(path)) as typeof res;
      } catch (e) {
        throw this.refusal(client, e, acc, 'создана', name, parent);
      }
      // imapflow answers ALREADYEXISTS with created: false rather than an error.
      if (!res?.created) {
        this.deps.changed(acc.id, []);
        throw duplicate(name, parent);
      }
      const full = res.path;
      const db = this.store.db;
      const id = db.transaction(() => {
        // The user is about to open it: kept in step like a folder opened (sync_enabled).
        db.prepare(
          `INSERT INTO mail_folders (account_id, path, name, delimiter, special_use, depth, sync_enabled) VALUES (?, ?, ?, ?, NULL, ?, 1)
           ON CONFLICT (account_id, path) DO UPDATE SET sync_enabled = 1`,
        ).run(acc.id, full, name, delim, delim ? full.split(delim).length - 1 : 0);
        return this.store.folderByPath(acc.id, full)!.id;
      })();
      this.deps.changed(acc.id, [id]);
      return this.view(acc.id, id);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  async rename(args: { folderId: number; name: string }): Promise<MailFolderView> {
    const f = this.folder(args.folderId);
    const acc = this.deps.account(f.account_id);
    const { name } = args;
    this.refuseProtected(f, 'переименовать');
    let delim = f.delimiter ?? this.delimiterOf(acc.id);
    const parentPrefix = (d: string | null) => (d && f.path.includes(d) ? f.path.slice(0, f.path.lastIndexOf(d) + d.length) : '');
    this.checkName(name, delim, !parentPrefix(delim));
    if (parentPrefix(delim) + name === f.path) return this.view(acc.id, f.id);
    const parent = () => this.store.folderByPath(acc.id, parentPrefix(delim).slice(0, -(delim?.length ?? 0)));
    if (this.store.folders(acc.id).some((x) => x.path === parentPrefix(delim) + name)) throw duplicate(name, parent());

    const client = await this.connect(acc, 'Переименовать папку');
    try {
      delim = f.delimiter ?? (client.namespace?.delimiter || delim);
      this.checkName(name, delim, !parentPrefix(delim));
      const oldPath = f.path;
      const newPath = parentPrefix(delim) + name;
      try {
        await client.mailboxRename(oldPath, newPath);
      } catch (e) {
        throw this.refusal(client, e, acc, 'переименована', statusCode(e) === 'ALREADYEXISTS' ? name : f.name, parent());
      }
      const moved = this.renameLocally(f, oldPath, newPath, name, delim);
      this.deps.changed(acc.id, moved.map((m) => m.id));
      // Subscriptions follow (clients showing only subscribed folders, Thunderbird's default); best effort.
      for (const m of moved) {
        await client.mailboxSubscribe(m.to).catch(() => undefined);
        await client.mailboxUnsubscribe(m.from).catch(() => undefined);
      }
      return this.view(acc.id, f.id);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  /**
   * The folder and its subfolders take their new paths, keeping ids, messages, sync state and
   * queued changes, so the next sync finds them as they are (no new download; Dovecot keeps
   * UIDVALIDITY across RENAME). Also right when the sync already saw the rename itself.
   */
  private renameLocally(f: FolderRow, oldPath: string, newPath: string, name: string, delim: string | null): { id: number; from: string; to: string }[] {
    const db = this.store.db;
    return db.transaction(() => {
      const rows = this.store.folders(f.account_id);
      const self = rows.find((r) => r.id === f.id);
      const moved = [
        ...(self ? [{ id: f.id, from: self.path, to: newPath }] : []),
        ...(delim ? rows.filter((r) => r.id !== f.id && r.path.startsWith(oldPath + delim)).map((r) => ({ id: r.id, from: r.path, to: newPath + r.path.slice(oldPath.length) })) : []),
      ];
      // A LIST the sync read between the server's RENAME and now may have added the new paths
      // as new folders: those go, ours (with the messages) take their place.
      const ours = new Set(moved.map((m) => m.id));
      const targets = new Set(moved.map((m) => m.to));
      for (const r of rows) if (!ours.has(r.id) && targets.has(r.path)) this.store.deleteFolder(r.id);
      const setPath = db.prepare('UPDATE mail_folders SET path = ? WHERE id = ?');
      const retarget = db.prepare(
        `UPDATE mail_ops SET data = json_set(data, '$.to', ?)
         WHERE account_id = ? AND op = 'move' AND json_valid(data) AND json_extract(data, '$.to') = ?`,
      );
      for (const m of moved) {
        setPath.run(m.to, m.id);
        // Mail queued to move into it goes to it under its new path.
        retarget.run(m.to, f.account_id, m.from);
      }
      db.prepare('UPDATE mail_folders SET name = ? WHERE id = ?').run(name, f.id);
      return moved;
    })();
  }

  /** Selectable subfolders the server lists under `f`, at any depth; refused when one of them has a role. */
  private serverTree(f: FolderRow, list: ListResponse[], delim: string | null, verb: 'удалить'): { self: ListResponse | undefined; subs: ListResponse[] } {
    const self = list.find((l) => l.path === f.path);
    const d = delim ?? self?.delimiter ?? null;
    const subs = d ? list.filter((l) => l.path.startsWith(f.path + d)) : [];
    const special = subs.find((l) => l.specialUse);
    if (special) {
      throw new MailError('mail-folder-protected', `Папку «${f.name}» нельзя ${verb}: в ней системная папка «${MAIL_FOLDER_TITLES[special.specialUse!] ?? special.name}».`, PROTECTED_HINT);
    }
    return { self, subs };
  }

  async deletePreview(args: { folderId: number }): Promise<MailFolderDeletePreview> {
    const f = this.folder(args.folderId);
    const acc = this.deps.account(f.account_id);
    this.refuseProtected(f, 'удалить');
    const client = await this.connect(acc, 'Удалить папку');
    try {
      // One LIST with the counts (LIST-STATUS; imapflow falls back to STATUS per folder).
      const list = await client.list({ statusQuery: { messages: true } });
      const { self, subs } = this.serverTree(f, list, f.delimiter ?? client.namespace?.delimiter ?? null, 'удалить');
      if (!self || self.flags.has('\\NonExistent')) {
        this.deps.changed(acc.id, []);
        throw gone(f.name);
      }
      const selectable = subs.filter((l) => !l.flags.has('\\Noselect') && !l.flags.has('\\NonExistent'));
      return {
        folderId: f.id,
        name: f.name,
        messages: self.status?.messages ?? this.store.count(f.id),
        subfolders: selectable.length,
        subfolderMessages: selectable.reduce((n, l) => n + (l.status?.messages ?? 0), 0),
      };
    } catch (e) {
      if (e instanceof MailError) throw e;
      throw this.refusal(client, e, acc, 'удалена', f.name);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  /** Deletes the folder and its subfolders on the server, deepest first, then locally (messages, search index, queued changes). */
  async delete(args: { folderId: number }): Promise<{ deleted: number }> {
    const f = this.folder(args.folderId);
    const acc = this.deps.account(f.account_id);
    this.refuseProtected(f, 'удалить');
    const client = await this.connect(acc, 'Удалить папку');
    const done: string[] = [];
    try {
      let list: ListResponse[];
      try {
        list = await client.list();
      } catch (e) {
        throw this.refusal(client, e, acc, 'удалена', f.name);
      }
      const delim = f.delimiter ?? client.namespace?.delimiter ?? null;
      const { subs } = this.serverTree(f, list, delim, 'удалить');
      const depth = (p: string) => (delim ? p.split(delim).length : 0);
      const order = [...subs.map((l) => l.path).sort((a, b) => depth(b) - depth(a) || b.localeCompare(a)), f.path];
      try {
        for (const path of order) {
          try {
            await client.mailboxDelete(path);
          } catch (e) {
            // Gone already (deleted elsewhere, or a placeholder that went with its last child).
            if (statusCode(e) !== 'NONEXISTENT' || !client.usable) throw this.refusal(client, e, acc, 'удалена', path === f.path ? f.name : path);
          }
          done.push(path);
        }
      } finally {
        // What left the server leaves the store even if a later DELETE failed; what is still there stays.
        if (done.length) {
          const db = this.store.db;
          const ids = db.transaction(() =>
            done.flatMap((path) => {
              const row = this.store.folderByPath(acc.id, path);
              if (!row) return [];
              this.store.deleteFolder(row.id);
              return [row.id];
            }),
          )();
          this.deps.changed(acc.id, ids);
        }
      }
      for (const path of done) await client.mailboxUnsubscribe(path).catch(() => undefined);
      const selectable = new Set(subs.filter((l) => !l.flags.has('\\Noselect') && !l.flags.has('\\NonExistent')).map((l) => l.path));
      return { deleted: 1 + done.filter((p) => selectable.has(p)).length };
    } finally {
      await client.logout().catch(() => client.close());
    }
  }
}
