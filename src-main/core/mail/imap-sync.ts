/**
 * One account's IMAP sync: a single connection that lists folders, syncs INBOX first, then every
 * other folder (newest first, resumable, by UID), keeps flags in step both ways (CONDSTORE when
 * offered), resyncs a folder whose UIDVALIDITY changed, then IDLEs on INBOX, stepping out of
 * IDLE every `folderListMs` for a LIST so folders created, renamed or deleted by other clients
 * show up within that time. A folder renamed elsewhere keeps its local copy.
 *
 * All folders, as desktop clients do (mail filed by server-side filters or a phone into
 * «Тендеры» must show its unread count and be found by search). One connection still does it
 * all, in one loop, so INBOX keeps priority by order rather than by a second connection:
 * - each full round (every `pollMs`) reads STATUS (MESSAGES UNSEEN UIDNEXT HIGHESTMODSEQ) of every
 *   folder: the pane shows the server's unread while a folder's mail is not all here, and a
 *   folder already here is selected again only when its STATUS changed (with CONDSTORE);
 * - folders still being fetched (first sync, a big archive) get `backgroundSlice` messages per
 *   turn, Sent first, then the smallest: between turns a STATUS of INBOX (UIDNEXT) tells whether
 *   new mail came, which is then fetched before the next slice, and queued changes go out;
 * - virtual folders (Gmail's «Вся почта», «Помеченные»: VIRTUAL_FOLDERS) only repeat other
 *   folders' mail: counts only, fetched once the user opens one (as any folder used to be).
 * Big folders are fetched whole, newest first, a slice at a time: search ends up covering them,
 * and says which folders are still loading meanwhile.
 * Reconnects with backoff; reports its state (synced, syncing N%, offline, error).
 */
import type { ImapFlow, FetchMessageObject, ListResponse, MailboxObject } from 'imapflow';
import type { MailAccountState, MailSummary } from '../../../src-shared/ipc/mail';
import type { AccountRecord } from './accounts';
import { describeMailError } from './errors-ru';
import {
  describeStructure,
  ENVELOPE_HEADERS,
  filenameFromMime,
  fromEnvelope,
  garbledHeaders,
  messageIds,
  parseSource,
  partText,
  repairEnvelope,
  type ParsedMessage,
} from './parse';
import { folderLoading, type FolderInfo, type FolderRename, type FolderRow, type MailStore, type NewMessage } from './store';
import type { MoveOutcome } from './undo';

export interface SyncOptions {
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** While idle, every folder is checked this often (STATUS; selected again when it changed). */
  pollMs: number;
  /** While idle, the folder list is read again (LIST) this often. */
  folderListMs: number;
  /** Messages per FETCH. */
  batchSize: number;
  /** Messages fetched from folders still loading per turn, before INBOX is looked at again. */
  backgroundSlice: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  initialBackoffMs: 2_000,
  maxBackoffMs: 5 * 60_000,
  pollMs: 2 * 60_000,
  folderListMs: 60_000,
  batchSize: 250,
  backgroundSlice: 500,
};

/** Shortest wait between two rounds of IDLE, whatever the options say (no busy loop). */
const MIN_IDLE_MS = 250;
/** Listed folders new here that are checked, per folder-list read, for being a renamed one. */
const MAX_RENAME_PROBES = 20;
/** Messages compared to tell a renamed folder from another one with the same UIDVALIDITY. */
const RENAME_SAMPLE = 8;

export interface SyncHooks {
  state(accountId: number, s: MailAccountState): void;
  changed(accountId: number, folderIds: number[]): void;
  newMail(accountId: number, messages: MailSummary[]): void;
  /**
   * Mail new in INBOX (what `newMail` would announce), just stored: «Правила» file it before it
   * is announced, so mail they moved away or marked read is not news.
   */
  arrived?(accountId: number, folderId: number, ids: number[]): void;
  /**
   * Queued MOVEs just pushed (their mail_ops ids and source UIDs, already off the queue), with
   * the server's answer (destination UIDs when it has UIDPLUS), or false when it refused them:
   * what «Отменить» needs to move them back.
   */
  moved?(ops: { id: number; uid: number }[], outcome: MoveOutcome | false): void;
  /**
   * After the queued changes: uploads the drafts' copies that are due (draft-copies.ts) over this
   * connection, returning the folders it changed (synced next, so the copies show up there).
   */
  pushDrafts?(accountId: number, client: ImapFlow, open: (f: FolderRow) => Promise<MailboxObject | null>): Promise<number[]>;
}

interface OpRow {
  id: number;
  folder_id: number;
  uid: number;
  op: string;
  data: string;
}

/** UIDs per pushed command: keeps a command line of scattered UIDs well under servers' limits (~8 KB). */
const PUSH_CHUNK = 500;

/** Adjacent queued changes that are the same operation, PUSH_CHUNK at most each, in queue order. */
function sameOpRuns(ops: OpRow[]): OpRow[][] {
  const runs: OpRow[][] = [];
  let run: OpRow[] = [];
  for (const o of ops) {
    const last = run[run.length - 1];
    if (last && (last.op !== o.op || last.data !== o.data || run.length >= PUSH_CHUNK)) {
      runs.push(run);
      run = [];
    }
    run.push(o);
  }
  if (run.length) runs.push(run);
  return runs;
}

/** Compact IMAP sequence set from UIDs: 1:5,7,9:12. */
export function toRange(uids: number[]): string {
  const s = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? String(s[i]) : `${s[i]}:${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Text and HTML parts longer than this are cut (the rest stays on the server). */
const MAX_TEXT_PART = 4 * 1024 * 1024;

async function readStream(s: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    if (n < max) chunks.push(b);
    n += b.length;
  }
  return Buffer.concat(chunks).subarray(0, max);
}

export class AccountSync {
  state: MailAccountState = { state: 'idle' };
  private client: ImapFlow | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  /** Folders the user asked for, with the callers waiting for them. */
  private requested = new Map<number, (() => void)[]>();
  private lastFullCycle = 0;
  private lastFolderList = 0;
  /** Bumped by folder changes the app made over another connection: a LIST read before one is stale. */
  private folderEpoch = 0;
  /** Folders messages were just moved into on the server: synced in this cycle so they show up there. */
  private movedInto = new Set<number>();
  /** Folders still loading that the server refused to give (not selectable after all…): left until the next full round. */
  private refused = new Set<number>();
  private readonly accountId: number;
  /** Serializes pushing the queue with `withOps` (an undo looking at what was pushed). */
  private opsLock: Promise<unknown> = Promise.resolve();

  constructor(
    private acc: AccountRecord,
    private readonly store: MailStore,
    private readonly connect: (acc: AccountRecord) => Promise<ImapFlow>,
    private readonly hooks: SyncHooks,
    private readonly opts: SyncOptions,
  ) {
    this.accountId = acc.id;
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    try {
      this.client?.close();
    } catch {
      /* closing anyway */
    }
    await this.loop;
    for (const waiters of this.requested.values()) waiters.forEach((w) => w());
    this.requested.clear();
  }

  /** Sync now: all folders enabled for sync, or the given one (enabling it). Resolves when done or the connection fails. */
  syncNow(folderId?: number): Promise<void> {
    return new Promise((resolve) => {
      if (folderId !== undefined) {
        this.store.enableSync(folderId);
        const list = this.requested.get(folderId) ?? [];
        list.push(resolve);
        this.requested.set(folderId, list);
      } else {
        this.lastFullCycle = 0;
        this.lastFolderList = 0;
        const list = this.requested.get(-1) ?? [];
        list.push(resolve);
        this.requested.set(-1, list);
      }
      this.wake();
    });
  }

  /** After sleep or a network change: drop the (possibly dead) connection and reconnect now. */
  reconnect(): void {
    this.lastFullCycle = 0;
    try {
      this.client?.close();
    } catch {
      /* reconnecting anyway */
    }
    this.wake();
  }

  /**
   * The app created, renamed or deleted folders on the server and in the store itself: a folder
   * list being read now is not saved over that, and the list is read again soon.
   */
  foldersChanged(): void {
    this.folderEpoch++;
    this.lastFolderList = 0;
    this.wake();
  }

  /**
   * Runs `fn` while no queued change is being pushed, and keeps the next push waiting until it
   * is done: a queued change it finds in mail_ops has not reached the server, and one that is
   * gone from there was pushed (and reported through `hooks.moved`).
   */
  withOps<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.opsLock.then(fn, fn);
    this.opsLock = run.catch(() => undefined);
    return run;
  }

  /** Local changes (flags, moves) are queued in mail_ops: push them now. */
  kick(): void {
    this.wake();
  }

  private wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Waits `ms` or until woken; true when woken. */
  private waitWake(ms: number): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve(false);
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve(true);
      };
    }).then((woken) => {
      this.woken = false;
      return woken;
    });
  }

  private setState(s: MailAccountState): void {
    this.state = s;
    this.hooks.state(this.accountId, s);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let client: ImapFlow | null = null;
      try {
        if (this.state.state !== 'syncing') this.setState({ state: 'connecting' });
        client = await this.connect(this.acc);
        if (this.stopped) break;
        this.client = client;
        attempt = 0;
        this.attachEvents(client);
        await this.session(client);
      } catch (e) {
        if (this.stopped) break;
        attempt++;
        const delay = Math.min(this.opts.initialBackoffMs * 2 ** (attempt - 1), this.opts.maxBackoffMs);
        // Synced before: a refused or timed-out connection is the server's outage, not the settings.
        const workedBefore = this.store.folders(this.accountId).some((f) => f.last_sync_at !== null);
        const d = describeMailError(e, { proto: 'imap', host: this.acc.imap.host, port: this.acc.imap.port, workedBefore });
        const retryInSec = Math.ceil(delay / 1000);
        if (d.transient) this.setState({ state: 'offline', reason: d.message, retryInSec });
        else this.setState({ state: 'error', reason: d.message, hint: d.hint, retryInSec });
        // Whoever waits for a sync learns about it from the state.
        this.resolveRequests(true);
        try {
          client?.close();
        } catch {
          /* already closed */
        }
        this.client = null;
        await this.waitWake(delay);
        continue;
      }
      try {
        client?.close();
      } catch {
        /* already closed */
      }
      this.client = null;
    }
    try {
      if (this.client?.usable) await this.client.logout();
    } catch {
      /* closing anyway */
    }
    this.client = null;
  }

  private attachEvents(client: ImapFlow): void {
    client.on('exists', () => this.wake());
    client.on('expunge', () => this.wake());
    client.on('close', () => this.wake());
    client.on('flags', (ev: { path: string; uid?: number; flags: Set<string> }) => {
      const folder = this.store.folderByPath(this.accountId, ev.path);
      if (!folder) return;
      if (ev.uid !== undefined) {
        if (this.store.applyServerFlags(folder.id, ev.uid, ev.flags)) this.hooks.changed(this.accountId, [folder.id]);
      } else {
        this.wake();
      }
    });
  }

  private resolveRequests(all: boolean, done?: Set<number>): void {
    for (const [id, waiters] of [...this.requested]) {
      if (all || done?.has(id)) {
        this.requested.delete(id);
        waiters.forEach((w) => w());
      }
    }
  }

  private async session(client: ImapFlow): Promise<void> {
    /** The last turn fetched a background slice and INBOX's STATUS showed no new mail: not selected again. */
    let inboxQuiet = false;
    while (!this.stopped) {
      if (!client.usable) throw Object.assign(new Error('Connection closed'), { code: 'NoConnection' });
      const now = Date.now();
      if (now - this.lastFolderList >= this.opts.folderListMs || !this.store.folders(this.accountId).length) {
        await this.refreshFolders(client);
      }
      await this.pushOps(client);

      const full = now - this.lastFullCycle >= this.opts.pollMs || this.requested.has(-1);
      // Folders whose STATUS differs from what is stored (null: all of them, no CONDSTORE).
      const changed = full ? await this.readStatuses(client) : null;
      if (full) this.refused.clear();
      const folders = this.store.folders(this.accountId);
      // A target deleted meanwhile must not keep the loop from idling.
      for (const id of this.movedInto) if (!folders.some((f) => f.id === id)) this.movedInto.delete(id);
      const targets = folders.filter((f) => {
        if (this.requested.has(f.id) || this.movedInto.has(f.id)) return true;
        if (f.sync_enabled !== 1) return false;
        if (isInbox(f)) return full || !inboxQuiet;
        // Fetched a slice at a time below, after INBOX.
        if (folderLoading(f)) return false;
        return full && (changed === null || changed.has(f.id));
      });
      inboxQuiet = false;
      const done = new Set<number>();
      for (const f of targets) {
        if (this.stopped) return;
        // A folder found gone on the server meanwhile was dropped from the list.
        const current = this.store.folder(f.id);
        if (current) await this.syncFolder(client, current);
        // Only once synced: a connection dying here leaves it for the next cycle.
        this.movedInto.delete(f.id);
        done.add(f.id);
        // Local changes made meanwhile go out between folders.
        await this.pushOps(client);
      }
      if (full) {
        this.lastFullCycle = Date.now();
        done.add(-1);
      }
      this.resolveRequests(false, done);
      // Something more urgent (a wake: new mail, a change to push, a folder asked for) goes first.
      const urgent = this.woken || this.movedInto.size > 0;
      const loading = urgent ? this.loadingFolders().length > 0 : await this.backgroundSlice(client);
      if (!loading) this.setState({ state: 'synced', at: new Date().toISOString() });
      if (urgent || loading || this.woken || this.movedInto.size) {
        // Mail reaching INBOX while another folder was selected raised no EXISTS: its UIDNEXT tells.
        if (loading && !this.woken && !this.movedInto.size) inboxQuiet = await this.inboxUnchanged(client);
        this.woken = false;
        continue;
      }
      await this.idle(client);
    }
  }

  /**
   * STATUS of every folder but INBOX (synced every turn anyway): stores the server's counts (the
   * pane shows them while a folder's mail is not all here) and returns the folders whose state
   * differs from the stored one, or null when the server has no CONDSTORE (flag changes do not
   * show in STATUS then: every folder is selected again, as before).
   */
  private async readStatuses(client: ImapFlow): Promise<Set<number> | null> {
    const condstore = client.capabilities.has('CONDSTORE') || client.capabilities.has('QRESYNC');
    const changed = new Set<number>();
    const counted: number[] = [];
    for (const f of this.store.folders(this.accountId)) {
      if (isInbox(f) || this.stopped) continue;
      let st: Awaited<ReturnType<ImapFlow['status']>>;
      try {
        st = await client.status(f.path, { messages: true, unseen: true, uidNext: true, highestModseq: condstore });
      } catch (e) {
        if (!client.usable) throw e;
        // Gone meanwhile (or refused): the folder list is read again soon.
        this.lastFolderList = 0;
        continue;
      }
      if (!st) continue;
      const total = st.messages ?? 0;
      // The pane shows these counts only for folders whose mail is not all here.
      if (this.store.setServerCounts(f.id, total, st.unseen ?? 0) && (f.sync_enabled !== 1 || folderLoading(f))) counted.push(f.id);
      const same =
        st.uidNext === f.uidnext && total === this.store.count(f.id) && st.highestModseq !== undefined && String(st.highestModseq) === f.highest_modseq;
      if (!same) changed.add(f.id);
    }
    if (counted.length) this.hooks.changed(this.accountId, counted);
    return condstore ? changed : null;
  }

  /** Folders kept in step whose mail is still being fetched, in the order they get it: Sent, then the smallest first. */
  private loadingFolders(): FolderRow[] {
    const rank = (f: FolderRow) => (f.special_use === '\\Sent' ? 0 : f.special_use === '\\Trash' || f.special_use === '\\Junk' ? 2 : 1);
    return this.store
      .folders(this.accountId)
      .filter((f) => folderLoading(f) && !isInbox(f) && !this.refused.has(f.id))
      .sort((a, b) => rank(a) - rank(b) || (a.server_total ?? Infinity) - (b.server_total ?? Infinity) || a.id - b.id);
  }

  /**
   * One turn of fetching folders still loading: up to `backgroundSlice` messages, over as many
   * folders as that reaches (empty and small ones finish together). True while some are left.
   */
  private async backgroundSlice(client: ImapFlow): Promise<boolean> {
    let budget = this.opts.backgroundSlice;
    for (const f of this.loadingFolders()) {
      if (budget <= 0 || this.woken || this.stopped) break;
      const current = this.store.folder(f.id);
      if (!current) continue;
      try {
        budget -= await this.syncFolder(client, current, Math.max(1, budget));
      } catch (e) {
        if (!client.usable) throw e;
        // One folder the server will not give must not stop the others (nor the loop).
        this.refused.add(f.id);
      }
      await this.pushOps(client);
    }
    return this.loadingFolders().length > 0;
  }

  /** Whether INBOX has no mail the store has not seen (STATUS UIDNEXT), without selecting it. */
  private async inboxUnchanged(client: ImapFlow): Promise<boolean> {
    const inbox = this.store.folders(this.accountId).find(isInbox);
    if (!inbox || inbox.uidnext === null || client.mailbox === false || client.mailbox?.path === inbox.path) return false;
    const st = await client.status(inbox.path, { uidNext: true }).catch((e: unknown) => {
      if (!client.usable) throw e;
      return false as const;
    });
    return Boolean(st) && st !== false && st.uidNext === inbox.uidnext;
  }

  /** Reads the folder list (LIST) into the store; true when it changed. */
  private async refreshFolders(client: ImapFlow): Promise<boolean> {
    const epoch = this.folderEpoch;
    const list: ListResponse[] = await client.list();
    const infos: FolderInfo[] = list
      .filter((l) => !l.flags.has('\\Noselect') && !l.flags.has('\\NonExistent'))
      .map((l) => ({
        path: l.path,
        name: l.path.toUpperCase() === 'INBOX' ? 'Входящие' : l.name,
        delimiter: l.delimiter ?? null,
        specialUse: l.specialUse ?? (l.path.toUpperCase() === 'INBOX' ? '\\Inbox' : null),
        depth: l.parent?.length ?? 0,
      }));
    const renames = await this.findRenames(client, infos);
    // Read before a folder change of the app's own: the next cycle reads it again.
    if (epoch !== this.folderEpoch) return false;
    const changed = this.store.saveFolderList(this.accountId, infos, renames);
    this.lastFolderList = Date.now();
    if (changed) this.hooks.changed(this.accountId, renames.map((r) => r.folderId));
    return changed;
  }

  /**
   * Folders renamed by another client: a listed path new here whose mailbox is a local folder
   * with synced state that is no longer listed. Only looked for when both exist (a LIST alone
   * costs nothing more), by opening each such new path read-only (EXAMINE, at most
   * MAX_RENAME_PROBES per list). The server's mailbox id (RFC 8474 OBJECTID) decides when both
   * sides have one. Otherwise (Dovecot 2.3 has no OBJECTID) the same UIDVALIDITY, which the
   * server keeps across a rename, is not enough by itself (servers deriving it from the clock
   * give two mailboxes the same one): sampled messages must also be the same at the same UIDs
   * (size and Message-ID), so a different mailbox is never taken for the renamed one.
   */
  private async findRenames(client: ImapFlow, infos: FolderInfo[]): Promise<FolderRename[]> {
    const local = this.store.folders(this.accountId);
    const listed = new Set(infos.map((i) => i.path));
    const known = new Set(local.map((f) => f.path));
    const vanished = local.filter((f) => !listed.has(f.path) && f.uidvalidity !== null);
    const fresh = infos.filter((i) => !known.has(i.path));
    if (!vanished.length || !fresh.length) return [];
    const objectId = client.capabilities.has('OBJECTID');
    const out: FolderRename[] = [];
    const taken = new Set<number>();
    for (const f of fresh.slice(0, MAX_RENAME_PROBES)) {
      if (taken.size === vanished.length || this.stopped) break;
      let mb: MailboxObject;
      try {
        mb = await client.mailboxOpen(f.path, { readOnly: true });
      } catch (e) {
        // Gone again or not selectable: simply not a renamed folder.
        if (!client.usable) throw e;
        continue;
      }
      const id = (objectId && mb.mailboxId) || null;
      const left = vanished.filter((v) => !taken.has(v.id));
      let match = id ? left.find((v) => v.mailbox_id === id) : undefined;
      if (!match) {
        const uidValidity = Number(mb.uidValidity);
        // A folder whose recorded id differs from the server's is another mailbox.
        const same = left.filter((v) => v.uidvalidity === uidValidity && !(id && v.mailbox_id));
        if (same.length === 1 && (await this.sameMessages(client, mb, same[0]))) match = same[0];
      }
      if (!match) continue;
      taken.add(match.id);
      out.push({ folderId: match.id, path: f.path, mailboxId: id });
    }
    return out;
  }

  /** Whether the selected mailbox holds the folder's messages at their UIDs (a sample: size and Message-ID). */
  private async sameMessages(client: ImapFlow, mb: MailboxObject, folder: FolderRow): Promise<boolean> {
    const sample = this.store.sampleMessages(folder.id, RENAME_SAMPLE);
    // Nothing local to mistake for other mail.
    if (!sample.length) return this.store.pendingOps(folder.id) === 0;
    if (!mb.exists) return false;
    const byUid = new Map(sample.map((m) => [m.uid, m]));
    let same = 0;
    let differ = 0;
    const query = { uid: true, size: true, headers: ['message-id'] };
    try {
      for await (const m of client.fetch(toRange([...byUid.keys()]), query, { uid: true })) {
        const local = byUid.get(m.uid);
        if (!local) continue;
        const mid = m.headers ? (messageIds(m.headers.toString('utf8').replace(/^message-id:/i, ''))[0] ?? null) : null;
        if (m.size === local.size && (local.message_id === null || local.message_id === mid)) same++;
        else differ++;
      }
    } catch (e) {
      // Refused by the server: not known to be the same mailbox.
      if (!client.usable) throw e;
      return false;
    }
    return same > 0 && differ === 0;
  }

  /**
   * Selects a folder. Null when the server no longer has it: the folder list is read again,
   * which drops the local copy and its queued changes when it was deleted elsewhere, or finds
   * it under its new name when renamed elsewhere (then that is selected).
   */
  private async openFolder(client: ImapFlow, folderIn: FolderRow): Promise<MailboxObject | null> {
    let folder = folderIn;
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.mailboxOpen(folder.path);
      } catch (e) {
        if (!(e as { mailboxMissing?: boolean }).mailboxMissing || !client.usable) throw e;
        await this.refreshFolders(client);
        const now = this.store.folder(folder.id);
        if (!now || now.path === folder.path || attempt > 0) return null;
        folder = now;
      }
    }
  }

  /**
   * IDLEs on INBOX until the server reports a change, something wakes the loop, or `pollMs`
   * passes. Every `folderListMs` meanwhile it steps out for a LIST: unchanged, it idles on;
   * changed, it returns so the cycle runs.
   */
  private async idle(client: ImapFlow): Promise<void> {
    const pollAt = Date.now() + this.opts.pollMs;
    for (;;) {
      if (!client.mailbox || client.mailbox.path !== 'INBOX' || client.mailbox.readOnly) {
        const mb = await client.mailboxOpen('INBOX');
        // Mail that reached INBOX while another folder was selected raised no EXISTS here: the
        // server's next UID tells, and the cycle fetches it now rather than at the next poll.
        const inbox = this.store.folders(this.accountId).find(isInbox);
        if (inbox?.uidnext != null && mb.uidNext !== inbox.uidnext) return;
      }
      const listAt = this.lastFolderList + this.opts.folderListMs;
      const idling = client.idle().catch(() => undefined);
      const woken = await this.waitWake(Math.max(MIN_IDLE_MS, Math.min(pollAt, listAt) - Date.now()));
      // Any command ends IDLE; NOOP also collects what the server queued meanwhile.
      if (client.usable) await client.noop().catch(() => undefined);
      await idling;
      if (woken || this.woken || this.stopped || !client.usable || Date.now() >= pollAt) return;
      if (await this.refreshFolders(client)) return;
    }
  }

  /**
   * Pushes queued local flag changes, moves and deletions to the server. A run of queued
   * changes that are the same (a bulk action: «Прочитано» on 2 000 selected messages) goes as
   * one command per PUSH_CHUNK UIDs, not one per message: a round trip each would take minutes
   * against a distant server. Only adjacent changes are joined, so their order per message holds.
   */
  private pushOps(client: ImapFlow): Promise<void> {
    return this.withOps(async () => {
      await this.pushQueued(client);
      const push = this.hooks.pushDrafts;
      if (!push) return;
      for (const id of await push(this.accountId, client, (f) => this.openFolder(client, f))) this.movedInto.add(id);
    });
  }

  private async pushQueued(client: ImapFlow): Promise<void> {
    const db = this.store.db;
    const ops = db.prepare('SELECT id, folder_id, uid, op, data FROM mail_ops WHERE account_id = ? ORDER BY id').all(this.accountId) as OpRow[];
    if (!ops.length) return;
    const byFolder = new Map<number, OpRow[]>();
    for (const o of ops) {
      const list = byFolder.get(o.folder_id);
      if (list) list.push(o);
      else byFolder.set(o.folder_id, [o]);
    }
    const delStmt = db.prepare('DELETE FROM mail_ops WHERE id = ?');
    const del = db.transaction((list: OpRow[]) => list.forEach((o) => delStmt.run(o.id)));
    for (const [folderId, list] of byFolder) {
      const folder = this.store.folder(folderId);
      if (!folder) {
        del(list);
        continue;
      }
      const mb = await this.openFolder(client, folder);
      if (!mb) continue;
      if (folder.uidvalidity !== null && Number(mb.uidValidity) !== folder.uidvalidity) {
        // The UIDs no longer mean the same messages: drop the changes rather than hit others.
        del(list);
        continue;
      }
      for (const run of sameOpRuns(list)) {
        const data = JSON.parse(run[0].data) as { add?: string[]; remove?: string[]; to?: string };
        const op = run[0].op;
        const uids = toRange(run.map((o) => o.uid));
        let moved: Awaited<ReturnType<ImapFlow['messageMove']>> | null = null;
        if (op === 'flags') {
          if (data.add?.length) await client.messageFlagsAdd(uids, data.add, { uid: true });
          if (data.remove?.length) await client.messageFlagsRemove(uids, data.remove, { uid: true });
        } else if (op === 'move' && data.to) {
          // Refused: most likely the target is gone (deleted elsewhere), so the folder list is read again soon.
          moved = await client.messageMove(uids, data.to, { uid: true });
          if (moved === false) this.lastFolderList = 0;
        } else if (op === 'expunge') {
          await client.messageDelete(uids, { uid: true });
        } else if (op === 'expungeDraft') {
          // A sent or deleted draft's copy: by its UID if known, and every copy with its Message-ID.
          for (const o of run) {
            const { messageId } = JSON.parse(o.data) as { messageId?: string };
            const found = messageId ? (((await client.search({ header: { 'message-id': messageId } }, { uid: true })) || []) as number[]) : [];
            const all = [...new Set([...found, ...(o.uid > 0 ? [o.uid] : [])])];
            if (all.length) await client.messageDelete(toRange(all), { uid: true });
          }
          // A fetch of the folder under way may have stored the copy again: the folder's sync drops it.
          this.movedInto.add(folder.id);
        }
        // imapflow answers a failed STORE / MOVE / EXPUNGE with false, whether the server refused
        // it (dropped: the next sync shows the server's state) or the connection died (kept for
        // the next connection; done again it changes nothing).
        if (!client.usable) throw Object.assign(new Error('Connection closed'), { code: 'NoConnection' });
        del(run);
        if (op === 'move' && data.to) {
          const target = this.store.folderByPath(this.accountId, data.to);
          if (target) this.movedInto.add(target.id);
          try {
            this.hooks.moved?.(
              run.map((o) => ({ id: o.id, uid: o.uid })),
              moved ? { destination: moved.destination || data.to, uidValidity: moved.uidValidity, uidMap: moved.uidMap } : false,
            );
          } catch {
            // Only «Отменить» depends on it: never stops the push.
          }
        }
      }
    }
  }

  /**
   * Syncs one folder: fetches at most `limit` of the messages missing here (newest first; the
   * rest is left for a later pass, see fetch_left), then flag changes. Returns how many it fetched.
   */
  private async syncFolder(client: ImapFlow, folderIn: FolderRow, limit = Infinity): Promise<number> {
    let folder = folderIn;
    const mb = await this.openFolder(client, folder);
    if (!mb) return 0;
    // Renamed elsewhere meanwhile: the same folder under its new path.
    folder = this.store.folder(folder.id) ?? folder;
    if (mb.mailboxId && mb.mailboxId !== folder.mailbox_id) this.store.setMailboxId(folder.id, mb.mailboxId);
    const uidValidity = Number(mb.uidValidity);
    if (folder.uidvalidity !== null && folder.uidvalidity !== uidValidity) {
      // The server renumbered the folder: the local copy is meaningless, fetch it again.
      this.store.clearFolder(folder.id);
      this.hooks.changed(this.accountId, [folder.id]);
      folder = this.store.folder(folder.id) ?? folder;
    }
    const firstSync = folder.last_sync_at === null;
    if (folder.uidvalidity === null) {
      this.store.db.prepare('UPDATE mail_folders SET uidvalidity = ? WHERE id = ?').run(uidValidity, folder.id);
    }

    const localCount = this.store.count(folder.id);
    let fetched = 0;
    let fetchLeft = 0;
    if (folder.last_sync_at === null || folder.fetch_left !== 0 || mb.exists !== localCount || mb.uidNext !== folder.uidnext) {
      const serverUids = mb.exists ? ((await client.search({ all: true }, { uid: true })) || []) : [];
      const serverSet = new Set(serverUids);
      const local = this.store.localUids(folder.id);
      // A UID from UIDNEXT on was not there when the folder was selected: stored meanwhile (mail
      // moved back by «Отменить»), not gone.
      const gone = local.filter((u) => !serverSet.has(u) && (mb.uidNext == null || u < mb.uidNext));
      if (gone.length) {
        this.store.deleteUids(folder.id, gone);
        this.hooks.changed(this.accountId, [folder.id]);
      }
      const localSet = new Set(local);
      // Deleted or moved in the app but not pushed yet: not to be fetched back.
      const leaving = this.store.pendingRemovals(folder.id);
      const missing = serverUids.filter((u) => !localSet.has(u) && !leaving.has(u)).sort((a, b) => b - a);
      const take = missing.slice(0, limit);
      fetchLeft = missing.length - take.length;
      // A folder fetched in slices reports its progress as a whole.
      const progress = fetchLeft > 0 || take.length < serverUids.length ? { done: serverUids.length - missing.length, total: serverUids.length } : undefined;
      if (take.length) await this.fetchNew(client, folder, take, !firstSync && isInbox(folder), progress);
      fetched = take.length;
    }

    // Flags changed on the server (by another client, webmail, a phone).
    const since = folder.highest_modseq ? BigInt(folder.highest_modseq) : null;
    const modseq = mb.highestModseq;
    if (localCount > 0 || !firstSync) {
      if (modseq !== undefined && since !== null) {
        if (modseq !== since) await this.applyFlags(client, folder, since);
      } else if (this.store.count(folder.id) > 0) {
        await this.applyFlags(client, folder, null);
      }
    }
    this.store.setFolderState(folder.id, { uidvalidity: uidValidity, uidnext: mb.uidNext, highestModseq: modseq?.toString() ?? null, fetchLeft });
    return fetched;
  }

  private async applyFlags(client: ImapFlow, folder: FolderRow, since: bigint | null): Promise<void> {
    let changed = false;
    const tx = this.store.db.transaction((rows: { uid: number; flags: Set<string> }[]) => {
      for (const r of rows) if (this.store.applyServerFlags(folder.id, r.uid, r.flags)) changed = true;
    });
    const rows: { uid: number; flags: Set<string> }[] = [];
    const it = client.fetch('1:*', { uid: true, flags: true }, since !== null ? { changedSince: since } : {});
    for await (const m of it) if (m.flags) rows.push({ uid: m.uid, flags: m.flags });
    tx(rows);
    if (changed) this.hooks.changed(this.accountId, [folder.id]);
  }

  /**
   * Fetches the given UIDs (newest first) in batches, each stored in one transaction. `progress`:
   * where this fetch stands in the folder's (a slice of a bigger one), for the state reported.
   */
  private async fetchNew(client: ImapFlow, folder: FolderRow, missing: number[], notify: boolean, progress?: { done: number; total: number }): Promise<void> {
    const total = progress?.total ?? missing.length;
    let done = progress?.done ?? 0;
    const end = done + missing.length;
    const name = folder.name;
    this.setState({ state: 'syncing', folder: name, done, total, percent: 0 });

    const batches: number[][] = [];
    for (let i = 0; i < missing.length; i += this.opts.batchSize) batches.push(missing.slice(i, i + this.opts.batchSize));

    const insertBatch = this.store.db.transaction((items: NewMessage[]) => {
      const ids: number[] = [];
      for (const it of items) {
        const id = this.store.insertMessage(this.accountId, folder.id, it);
        if (id !== null) ids.push(id);
      }
      return ids;
    });

    let lastEmit = 0;
    // The next batch is requested before this one is stored: the server prepares it meanwhile.
    let next: Promise<NewMessage[]> | null = batches.length ? this.fetchBatch(client, batches[0]) : null;
    for (let i = 0; i < batches.length; i++) {
      const items = await next!;
      // Deleted by the user meanwhile: nothing may land in a folder that is no more.
      if (this.stopped || !this.store.folder(folder.id)) return;
      next = i + 1 < batches.length ? this.fetchBatch(client, batches[i + 1]) : null;
      // If storing fails, the prefetch's own failure must not go unhandled.
      next?.catch(() => undefined);
      const ids = insertBatch(items);
      done += batches[i].length;
      if (notify && ids.length) {
        this.hooks.arrived?.(this.accountId, folder.id, ids);
        const fresh = this.store.summaries(ids).filter((s) => !s.seen);
        if (fresh.length) this.hooks.newMail(this.accountId, fresh);
      }
      const now = Date.now();
      if (now - lastEmit > 250 || done === end) {
        lastEmit = now;
        this.setState({ state: 'syncing', folder: name, done, total, percent: Math.floor((done / total) * 100) });
        this.hooks.changed(this.accountId, [folder.id]);
      }
    }
  }

  /**
   * One batch the way a desktop client does it cheaply: ENVELOPE + BODYSTRUCTURE (the server
   * parses MIME), then only the text and HTML parts (BINARY when offered, so the server also
   * removes the transfer encoding), grouped by part numbers into few FETCHes. Attachments stay
   * on the server until opened. Messages without a usable structure are fetched whole and
   * parsed with mailparser.
   */
  private async fetchBatch(client: ImapFlow, uids: number[]): Promise<NewMessage[]> {
    const metas: FetchMessageObject[] = [];
    const query = { uid: true, flags: true, internalDate: true, size: true, envelope: true, bodyStructure: true, headers: ['references'] };
    for await (const m of client.fetch(toRange(uids), query, { uid: true })) metas.push(m);

    const plans = metas.map((m) => ({ m, parts: m.bodyStructure ? describeStructure(m.bodyStructure) : null }));
    const groups = new Map<string, number[]>();
    const whole: number[] = [];
    for (const p of plans) {
      if (!p.parts || !p.m.envelope) {
        whole.push(p.m.uid);
        continue;
      }
      const need = [...p.parts.textParts, ...p.parts.htmlParts];
      if (!need.length) continue;
      const key = need.join(',');
      groups.set(key, [...(groups.get(key) ?? []), p.m.uid]);
    }
    const bodies = new Map<number, { parts: Map<string, Buffer>; binary: Set<string> }>();
    for (const [key, list] of groups) {
      const bodyParts = key.split(',').map((k) => ({ key: k, maxLength: MAX_TEXT_PART }));
      const fetchParts = async (binary: boolean) => {
        for await (const m of client.fetch(toRange(list), { uid: true, bodyParts }, { uid: true, binary })) {
          bodies.set(m.uid, { parts: m.bodyParts ?? new Map(), binary: m.binaryParts ?? new Set() });
        }
      };
      try {
        await fetchParts(true);
      } catch (e) {
        // One part with broken base64 or an unknown transfer encoding makes the server refuse
        // BINARY for the whole FETCH (NO): take the parts raw and decode them here, leniently.
        if ((e as { responseStatus?: string }).responseStatus !== 'NO' || !client.usable) throw e;
        await fetchParts(false);
      }
    }
    const sources = new Map<number, FetchMessageObject>();
    if (whole.length) {
      for await (const m of client.fetch(toRange(whole), { uid: true, flags: true, internalDate: true, size: true, source: true }, { uid: true })) {
        sources.set(m.uid, m);
      }
    }

    const items: NewMessage[] = [];
    for (const { m, parts } of plans) {
      let parsed: ParsedMessage;
      const src = sources.get(m.uid);
      if (src?.source) {
        try {
          parsed = await parseSource(src.source);
        } catch {
          parsed = brokenMessage(src.source);
        }
      } else if (parts && m.envelope) {
        const b = bodies.get(m.uid);
        const text = (list: string[]) => (b ? list.map((part) => partText(b.parts.get(part), parts.encodings[part], b.binary.has(part))).join('\n') : '');
        const refs = m.headers ? messageIds(m.headers.toString('utf8').replace(/^references:/i, '')) : [];
        parsed = fromEnvelope(m.envelope, refs, parts, text(parts.textParts), parts.htmlParts.length ? text(parts.htmlParts) : null);
        await this.repairHeaders(client, m.uid, parsed);
      } else {
        continue;
      }
      items.push({ uid: m.uid, flags: m.flags ?? new Set(), internalDate: dateMs(m.internalDate), size: m.size ?? 0, parsed });
    }
    return items;
  }

  /** Headers that came garbled through ENVELOPE / BODYSTRUCTURE (raw legacy-charset bytes) are read from their bytes. */
  private async repairHeaders(client: ImapFlow, uid: number, p: ParsedMessage): Promise<void> {
    const g = garbledHeaders(p);
    if (!g.envelope && !g.parts.length) return;
    const mimeKeys = g.parts.map((part) => `${part}.MIME`);
    const query = { uid: true, ...(g.envelope ? { headers: ENVELOPE_HEADERS } : {}), ...(mimeKeys.length ? { bodyParts: mimeKeys } : {}) };
    const m = await client.fetchOne(String(uid), query, { uid: true }).catch((e: unknown) => {
      // Best effort: the message is kept with the garbled text rather than stop the sync.
      if (!client.usable) throw e;
      return false as const;
    });
    if (!m) return;
    if (g.envelope && m.headers) await repairEnvelope(p, m.headers);
    for (const a of p.attachments) {
      // imapflow keys body parts by the lower-cased section.
      const raw = a.part && g.parts.includes(a.part) ? m.bodyParts?.get(`${a.part}.mime`) : undefined;
      if (raw) a.filename = (await filenameFromMime(raw)) ?? a.filename;
    }
  }

  /** Downloads one body part of a message (attachments of big messages, on demand). */
  static async downloadPart(client: ImapFlow, path: string, uid: number, part: string | null): Promise<Buffer> {
    await client.mailboxOpen(path);
    const d = await client.download(String(uid), part ?? undefined, { uid: true, decodeText: false });
    if (!('content' in d) || !d.content) return Buffer.alloc(0);
    return readStream(d.content, 200 * 1024 * 1024);
  }
}

function isInbox(f: FolderRow): boolean {
  return f.path.toUpperCase() === 'INBOX' || f.special_use === '\\Inbox';
}

function dateMs(d: Date | string | undefined): number | null {
  if (!d) return null;
  const t = new Date(d).getTime();
  return Number.isNaN(t) ? null : t;
}

/** A message mailparser could not read: keep it visible with its raw text. */
function brokenMessage(source: Buffer): ParsedMessage {
  const text = source.toString('utf8').slice(0, 64 * 1024);
  return {
    messageId: null,
    inReplyTo: null,
    references: [],
    subject: '(не удалось разобрать письмо)',
    from: null,
    to: [],
    cc: [],
    bcc: [],
    replyTo: [],
    date: null,
    text,
    html: null,
    attachments: [],
    partial: false,
  };
}
