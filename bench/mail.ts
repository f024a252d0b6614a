/**
 * Mail benchmark (`npm run bench -- mail`, or `npx tsx bench/mail.ts`):
 *  1. initial sync of a 10,000-message mailbox from a local Dovecot into SQLite with FTS5
 *     (our sync engine, messages/s) against `mbsync` (Debian's isync) syncing the same mailbox
 *     into a Maildir in the same run — printed as a ratio (target ≥ 0.5× mbsync);
 *  2. FTS query latency (p50/p95/max) over 100,000 messages (target p95 ≤ 20 ms).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { createMailService, type SecretBox } from '../src-main/core/mail';
import { MailSearch } from '../src-main/core/mail/search';
import { MailStore } from '../src-main/core/mail/store';
import { migrateMail } from '../src-main/core/mail/schema';
import type { ParsedMessage } from '../src-main/core/mail/parse';
import type { MailAccountView } from '../src-shared/ipc/mail';
import { startDovecot } from '../test/support/dovecot';

export interface MailBenchResult {
  messages: number;
  oursSeconds: number;
  oursPerSec: number;
  mbsyncSeconds: number;
  mbsyncPerSec: number;
  ratio: number;
  fts: { messages: number; queries: number; p50Ms: number; p95Ms: number; maxMs: number };
}

// ---- a deterministic corpus of business mail -------------------------------------------------

const WORDS = (
  'договор поставка счёт оплата насос задвижка клапан трубопровод монтаж объект смета ' +
  'акт сверка тендер заявка коммерческое предложение цена срок доставка склад отгрузка ' +
  'гарантия сервис ремонт замена деталь запчасть каталог спецификация чертёж проект ' +
  'согласование подпись директор менеджер бухгалтерия реквизиты платёж аванс остаток ' +
  'скидка условия претензия возврат качество сертификат паспорт инструкция давление ' +
  'температура диаметр фланец уплотнение корпус привод мощность двигатель насосная станция ' +
  'водоснабжение отопление канализация котельная теплообменник резервуар фильтр счётчик'
).split(/\s+/);
const NAMES = ['Иван Петров', 'Мария Смирнова', 'Алексей Кузнецов', 'Ольга Попова', 'Дмитрий Соколов', 'Елена Лебедева', 'Сергей Козлов', 'Анна Новикова'];
const DOMAINS = ['mail.ru', 'yandex.ru', 'gmail.com', 'asgard-service.ru', 'zavod-nasos.ru', 'stroymontazh.ru', 'teplo-servis.ru'];
const LATIN = ['ivan.petrov', 'm.smirnova', 'a.kuznetsov', 'olga.popova', 'd.sokolov', 'e.lebedeva', 's.kozlov', 'anna.n'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function sentence(r: () => number, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(WORDS[Math.floor(r() * WORDS.length)]);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return `${w.join(' ')}.`;
}

function person(r: () => number): { name: string; email: string } {
  const i = Math.floor(r() * NAMES.length);
  return { name: NAMES[i], email: `${LATIN[i]}@${DOMAINS[Math.floor(r() * DOMAINS.length)]}` };
}

function b64lines(buf: Buffer): string {
  return buf.toString('base64').replace(/.{76}/g, '$&\r\n');
}

/** One realistic message: 2–12 KB text, a fifth multipart with HTML, one in 25 with a PDF. */
export function corpusMessage(i: number, to: string): string {
  const r = rng(i * 7919 + 1);
  const from = person(r);
  const date = new Date(Date.UTC(2023, 0, 1) + i * 37 * 60_000);
  const subject = `${r() < 0.3 ? 'Re: ' : ''}${sentence(r, 3 + Math.floor(r() * 5)).slice(0, -1)} №${1000 + i}`;
  const paras: string[] = [];
  const n = 3 + Math.floor(r() * 20);
  for (let p = 0; p < n; p++) paras.push(sentence(r, 8 + Math.floor(r() * 25)));
  const text = `Добрый день!\n\n${paras.join('\n\n')}\n\nС уважением,\n${from.name}`;
  const headers = [
    `From: =?UTF-8?B?${Buffer.from(from.name).toString('base64')}?= <${from.email}>`,
    `To: ${to}`,
    `Subject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-${i}@${from.email.split('@')[1]}>`,
    'MIME-Version: 1.0',
  ];
  const html = r() < 0.2;
  const pdf = r() < 0.04;
  if (!html && !pdf) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    return `${headers.join('\r\n')}\r\n\r\n${text.replace(/\n/g, '\r\n')}\r\n`;
  }
  const b = `b${i}x${Math.floor(r() * 1e9)}`;
  headers.push(`Content-Type: multipart/mixed; boundary="${b}"`);
  let body = `--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text.replace(/\n/g, '\r\n')}\r\n`;
  if (html) {
    const h = `<html><body><p>${paras.join('</p><p>')}</p><p><b>${from.name}</b></p></body></html>`;
    body += `--${b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(Buffer.from(h))}\r\n`;
  }
  if (pdf) {
    const size = 50_000 + Math.floor(r() * 150_000);
    body += `--${b}\r\nContent-Type: application/pdf; name="schet-${i}.pdf"\r\nContent-Disposition: attachment; filename="schet-${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(randomBytes(size))}\r\n`;
  }
  return `${headers.join('\r\n')}\r\n\r\n${body}--${b}--\r\n`;
}

function testBox(): SecretBox {
  const key = randomBytes(32);
  return {
    async encrypt(p) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(p, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    async decrypt(x) {
      const b = Buffer.from(x, 'base64');
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

// ---- 1. sync throughput vs mbsync --------------------------------------------------------------

async function syncBench(count: number): Promise<Pick<MailBenchResult, 'messages' | 'oursSeconds' | 'oursPerSec' | 'mbsyncSeconds' | 'mbsyncPerSec' | 'ratio'>> {
  const user = { user: 'bench@example.test', pass: 'bench-pass' };
  const dc = await startDovecot({ users: [user] });
  const work = mkdtempSync(join(tmpdir(), 'asgard-mail-bench-'));
  try {
    let t = Date.now();
    dc.seedMaildir(user.user, (function* () {
      for (let i = 0; i < count; i++) yield corpusMessage(i, user.user);
    })());
    // Let Dovecot index the mailbox once, so neither client pays for it.
    await dc.doveadm(['mailbox', 'status', '-u', user.user, 'messages', 'INBOX']);
    await dc.doveadm(['fetch', '-u', user.user, 'uid', 'mailbox', 'INBOX']);
    console.log(`mail: seeded ${count} messages into Dovecot in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    // mbsync (isync) into a Maildir: the reference.
    const maildir = join(work, 'maildir');
    mkdirSync(maildir);
    const rc = join(work, 'mbsyncrc');
    writeFileSync(
      rc,
      [
        'IMAPAccount bench',
        'Host 127.0.0.1',
        `Port ${dc.port}`,
        `User ${user.user}`,
        `Pass ${user.pass}`,
        'SSLType None',
        'AuthMechs LOGIN',
        '',
        'IMAPStore remote',
        'Account bench',
        '',
        'MaildirStore local',
        `Path ${maildir}/`,
        `Inbox ${maildir}/INBOX`,
        '',
        'Channel bench',
        'Far :remote:',
        'Near :local:',
        'Patterns INBOX',
        'Create Near',
        'Sync Pull',
        'SyncState *',
        '',
      ].join('\n'),
    );
    t = performance.now();
    const mb = spawnSync('mbsync', ['-c', rc, '-q', 'bench'], { encoding: 'utf8' });
    const mbsyncSeconds = (performance.now() - t) / 1000;
    if (mb.status !== 0) throw new Error(`mbsync failed (${mb.status}): ${mb.stderr}`);
    const got = ['cur', 'new'].reduce((n, d) => n + (existsSync(join(maildir, 'INBOX', d)) ? readdirSync(join(maildir, 'INBOX', d)).length : 0), 0);
    if (got !== count) throw new Error(`mbsync fetched ${got} of ${count}`);

    // Ours: initial sync into SQLite with FTS through the real service.
    const db = new Database(join(work, 'app.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const mail = createMailService({ db, secretBox: testBox(), dataDir: work, sync: { pollMs: 10 * 60_000 } });
    let done = false;
    const synced = new Promise<void>((resolve) => {
      mail.on('mail:state', ({ state }) => {
        if (state.state === 'synced' && !done) {
          done = true;
          resolve();
        }
      });
    });
    t = performance.now();
    const acc = (await mail.handle('mail:accounts:save', {
      email: user.user,
      preset: 'custom',
      imap: { host: '127.0.0.1', port: dc.port, security: 'none' },
      smtp: { host: '127.0.0.1', port: 1, security: 'none' },
      password: user.pass,
    })) as MailAccountView;
    await synced;
    const oursSeconds = (performance.now() - t) / 1000;
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE account_id = ?').get(acc.id) as { n: number }).n;
    const indexed = (db.prepare("SELECT COUNT(*) AS n FROM mail_fts WHERE mail_fts MATCH 'добрый'").get() as { n: number }).n;
    await mail.stop();
    db.close();
    if (stored !== count || indexed !== count) throw new Error(`our sync stored ${stored} / indexed ${indexed} of ${count}`);

    const oursPerSec = count / oursSeconds;
    const mbsyncPerSec = count / mbsyncSeconds;
    return { messages: count, oursSeconds, oursPerSec, mbsyncSeconds, mbsyncPerSec, ratio: oursPerSec / mbsyncPerSec };
  } finally {
    await dc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- 2. FTS latency over 100k messages ---------------------------------------------------------

function ftsBench(count: number, queries: number): MailBenchResult['fts'] {
  const dir = mkdtempSync(join(tmpdir(), 'asgard-mail-fts-'));
  try {
    const db = new Database(join(dir, 'fts.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    migrateMail(db);
    db.prepare("INSERT INTO mail_folders (id, account_id, path, name) VALUES (1, 1, 'INBOX', 'INBOX')").run();
    const store = new MailStore(db);
    const t0 = performance.now();
    const insert = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = rng(i * 104729 + 3);
        const p = person(r);
        const paras: string[] = [];
        for (let k = 0, n = 2 + Math.floor(r() * 8); k < n; k++) paras.push(sentence(r, 8 + Math.floor(r() * 20)));
        const parsed: ParsedMessage = {
          messageId: `<fts-${i}@bench>`,
          inReplyTo: null,
          references: [],
          subject: `${sentence(r, 3 + Math.floor(r() * 4)).slice(0, -1)} №${i}`,
          from: p,
          to: [{ name: '', email: 'bench@example.test' }],
          cc: [],
          bcc: [],
          replyTo: [],
          date: Date.UTC(2020, 0, 1) + i * 15 * 60_000,
          text: paras.join('\n\n'),
          html: null,
          attachments: [],
          partial: false,
        };
        store.insertMessage(1, 1, { uid: i + 1, flags: r() < 0.7 ? ['\\Seen'] : [], internalDate: parsed.date, size: 4000, parsed });
      }
    });
    for (let i = 0; i < count; i += 10_000) insert(i, Math.min(count, i + 10_000));
    console.log(`mail: built an FTS index of ${count} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const search = new MailSearch(db);
    const r = rng(42);
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
    const kinds: (() => string)[] = [
      () => pick(WORDS),
      () => pick(WORDS).slice(0, 4),
      () => `${pick(WORDS)} ${pick(WORDS)}`,
      () => pick(NAMES).split(' ')[1],
      () => `${pick(LATIN)}@${pick(DOMAINS)}`,
      () => `№${Math.floor(r() * count)}`,
      () => `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS).slice(0, 3)}`,
      // Conditions alone over every folder; no bench message has a file: the worst case, nothing matches.
      () => pick(['непрочитанные', 'есть:вложения']),
    ];
    for (let i = 0; i < 50; i++) search.search({ query: pick(kinds)(), limit: 100 }); // warm up
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const byKind = kinds.map(() => [] as number[]);
    for (let i = 0; i < queries; i++) {
      const q = kinds[i % kinds.length]();
      const c = process.cpuUsage();
      const t = performance.now();
      search.search({ query: q, accountId: 1, limit: 100 });
      const ms = performance.now() - t;
      const cu = process.cpuUsage(c);
      times.push(ms);
      cpuTimes.push((cu.user + cu.system) / 1000);
      byKind[i % kinds.length].push(ms);
    }
    db.close();
    const pct = (arr: number[], p: number) => {
      const a = [...arr].sort((x, y) => x - y);
      return a[Math.min(a.length - 1, Math.floor(p * a.length))];
    };
    const names = ['word', '4-letter prefix', 'two words', 'surname', 'email', 'number', 'three words', 'conditions only'];
    console.log(`per kind p95 (ms): ${byKind.map((k, i) => `${names[i]} ${pct(k, 0.95).toFixed(1)}`).join(', ')}`);
    console.log(`CPU time per query: p50 ${pct(cpuTimes, 0.5).toFixed(2)} ms, p95 ${pct(cpuTimes, 0.95).toFixed(2)} ms (wall time also counts waiting for a core)`);
    return { messages: count, queries, p50Ms: pct(times, 0.5), p95Ms: pct(times, 0.95), maxMs: pct(times, 1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runMailBench(
  opts: { messages?: number; ftsMessages?: number; ftsQueries?: number; only?: 'sync' | 'fts' } = {},
): Promise<Partial<MailBenchResult>> {
  const load = () => `load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`;
  let s: Awaited<ReturnType<typeof syncBench>> | undefined;
  if (opts.only !== 'fts') {
    try {
      execFileSync('mbsync', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('mbsync (isync) is missing: run `npm run setup:test`');
    }
    const count = opts.messages ?? 10_000;
    console.log(`\n== mail: initial sync of ${count} messages, local Dovecot → SQLite+FTS vs mbsync → Maildir (${load()}) ==`);
    s = await syncBench(count);
    console.log(`mbsync (isync):        ${s.mbsyncSeconds.toFixed(2)} s  ${s.mbsyncPerSec.toFixed(0)} msg/s`);
    console.log(`ours (SQLite + FTS5):  ${s.oursSeconds.toFixed(2)} s  ${s.oursPerSec.toFixed(0)} msg/s`);
    console.log(`ratio ours/mbsync:     ${s.ratio.toFixed(2)}×  (target ≥ 0.5×) ${s.ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`);
  }
  if (opts.only === 'sync') return { ...s };

  const n = opts.ftsMessages ?? 100_000;
  console.log(`\n== mail: FTS query latency over ${n} messages (${load()}) ==`);
  const fts = ftsBench(n, opts.ftsQueries ?? 700);
  console.log(`queries: ${fts.queries}  p50 ${fts.p50Ms.toFixed(2)} ms  p95 ${fts.p95Ms.toFixed(2)} ms  max ${fts.maxMs.toFixed(2)} ms  (target p95 ≤ 20 ms) ${fts.p95Ms <= 20 ? 'OK' : 'ABOVE TARGET'}`);
  return { ...s, fts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv.slice(2).find((a) => a === 'sync' || a === 'fts') as 'sync' | 'fts' | undefined;
  runMailBench({ only }).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
