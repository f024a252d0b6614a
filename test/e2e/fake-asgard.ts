/**
 * A fake `window.asgard` for the renderer-only smoke test (rendering, not integration: the
 * real e2e goes through relay + simulator + bridge). `installFakeAsgard` is serialized into the
 * page by `page.addInitScript`, so it must not reference anything outside its own body.
 * The test drives it through `window.__fake` (emit events, read the request log).
 */
export interface FakeOptions {
  loggedIn: boolean;
  role: 'admin' | 'to' | 'pm';
  totalCalls: number;
  /** Fixed "now" (ms) so screenshots are stable. */
  now: number;
  /** What `stats:get` says it counted in (absent: an older relay, which does not say). */
  statsCountedIn?: { tz: string } | { tzOffset: number };
  /** What `telephony:info` says (absent: on, routing mode «group»). */
  telephony?: { enabled: boolean; routingMode: 'popup' | 'group' | 'api' };
  /** The user has no Mango extension (as the demo's admin): «Перезвонить» cannot work. */
  noExtension?: boolean;
  /**
   * Browser mode (the popups float in the main window): the renderer's first look for
   * `window.asgard` (api.ts `hasShell`) finds none, the API pick after it gets this fake.
   */
  browserMode?: boolean;
}

export function installFakeAsgard(o: FakeOptions): void {
  type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const w = window as Any;
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const log: { name: string; args: unknown }[] = [];
  const now = o.now;
  const iso = (t: number) => new Date(t).toISOString();

  const employees: Any[] = [
    { id: 1, login: 'admin', name: 'Смирнова Ольга', role: 'admin', extension: '100', acceptCalls: false, online: true },
    { id: 2, login: 'ivanov', name: 'Иванов Сергей', role: 'to', extension: '101', acceptCalls: true, online: true },
    { id: 3, login: 'petrova', name: 'Петрова Анна', role: 'to', extension: '102', acceptCalls: true, online: false },
    { id: 4, login: 'kuznetsov', name: 'Кузнецов Дмитрий', role: 'to', extension: '103', acceptCalls: false, online: true },
    { id: 5, login: 'volkov', name: 'Волков Андрей', role: 'pm', extension: '110', acceptCalls: false, online: false },
    { id: 6, login: 'buh', name: 'Соколова Мария', role: 'buh', extension: null, acceptCalls: false, online: false },
  ].map((e) => ({ mangoUserId: null, email: null, phones: [], active: true, acceptCallsManual: false, ...e }));

  const meId = o.role === 'admin' ? 1 : o.role === 'to' ? 2 : 5;
  let me: Any = { ...employees.find((e) => e.id === meId), ...(o.noExtension ? { extension: null } : {}) };
  let loggedIn = o.loggedIn;

  const contacts: Any[] = [
    { id: 1, name: 'Алексей Морозов', company: 'ООО «СтройИнвест»', phones: ['+79161234567'], emails: ['morozov@stroyinvest.ru'], note: 'Тендер на реконструкцию склада. Перезвонить после 15:00.' },
    { id: 2, name: 'Елена Васильева', company: 'АО «Ромашка»', phones: ['+79037654321', '+74957778899'], emails: [], note: '' },
    { id: 3, name: 'Игорь Новиков', company: 'ИП Новиков', phones: ['+79265550011'], emails: ['novikov@mail.ru'], note: '' },
  ].map((c) => ({ createdAt: iso(now - 40 * 86400_000), updatedAt: iso(now - 2 * 86400_000), ...c }));

  const numbers = ['+79161234567', '+79037654321', '+79265550011', '+74957778899', '+79998887766', '+79104443322', '+78123334455', '+79651112233'];
  const line = '+74951234500';

  // Deterministic pseudo-random from an index.
  const rnd = (i: number, salt: number) => {
    let x = (i * 2654435761 + salt * 40503) >>> 0;
    x = (x ^ (x >>> 13)) >>> 0;
    x = Math.imul(x, 1274126177) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    return x / 4294967296;
  };

  /** The i-th newest call (i = 0 is the newest); id = total - i. */
  function callAt(i: number): Any {
    const id = o.totalCalls - i;
    const started = now - 7 * 60_000 - i * 9 * 60_000 - Math.floor(rnd(i, 1) * 300_000);
    const dirR = rnd(i, 2);
    const direction = dirR < 0.68 ? 'in' : 'out';
    const stR = rnd(i, 3);
    const status = direction === 'in' ? (stR < 0.8 ? 'answered' : 'missed') : stR < 0.85 ? 'answered' : 'unanswered';
    const number = numbers[Math.floor(rnd(i, 4) * numbers.length)];
    const emp = employees[1 + Math.floor(rnd(i, 5) * 3)];
    const talk = status === 'answered' ? 20 + Math.floor(rnd(i, 6) * (i % 17 === 0 ? 4000 : 400)) : 0;
    const wait = 3 + Math.floor(rnd(i, 7) * 25);
    return {
      id,
      entryId: 'entry-' + id,
      direction,
      from: direction === 'in' ? { number, extension: null } : { number: null, extension: emp.extension },
      to: direction === 'in' ? { number: line, extension: status === 'answered' ? emp.extension : null, line } : { number, extension: null, line: null },
      clientNumber: number,
      employee: status === 'missed' ? null : { id: emp.id, name: emp.name, extension: emp.extension },
      status,
      phase: 'ended',
      ringingExtensions: [],
      startedAt: iso(started),
      answeredAt: status === 'answered' ? iso(started + wait * 1000) : null,
      endedAt: iso(started + (wait + talk) * 1000),
      talkSeconds: talk,
      waitSeconds: wait,
      disconnectReason: null,
      recordings: status === 'answered' && i % 3 === 0 ? [{ id: 'rec-' + id, state: 'available' }] : [],
      reconciled: false,
    };
  }

  function contactOf(num: string | null): Any {
    return contacts.find((c) => num && c.phones.includes(num)) ?? null;
  }

  function matches(c: Any, q: Any): boolean {
    if (q.direction && c.direction !== q.direction) return false;
    if (q.status && c.status !== q.status) return false;
    if (q.employeeId && c.employee?.id !== q.employeeId) return false;
    if (q.since && c.startedAt < q.since) return false;
    if (q.until && c.startedAt >= q.until) return false;
    if (q.search) {
      const s = String(q.search).toLowerCase();
      const digits = s.replace(/\D/g, '');
      const byNum = digits.length >= 3 && (c.clientNumber ?? '').includes(digits);
      const k = contactOf(c.clientNumber);
      const byName = (k && (k.name.toLowerCase().includes(s) || k.company.toLowerCase().includes(s))) || (c.employee?.name ?? '').toLowerCase().includes(s);
      if (!byNum && !byName) return false;
    }
    return true;
  }

  function listCalls(q: Any): Any[] {
    const out: Any[] = [];
    let i = q.before ? o.totalCalls - q.before + 1 : 0;
    const limit = q.limit ?? 200;
    for (; i < o.totalCalls && out.length < limit; i++) {
      const c = callAt(i);
      if (matches(c, q)) out.push(c);
    }
    return out;
  }

  const ringing = (id: number, number: string, phase: string): Any => ({
    ...callAt(0),
    id,
    entryId: 'live-' + id,
    direction: 'in',
    from: { number, extension: null },
    to: { number: line, extension: null, line },
    clientNumber: number,
    employee: phase === 'talking' ? { id: 2, name: 'Иванов Сергей', extension: '101' } : null,
    status: 'active',
    phase,
    ringingExtensions: ['101', '102'],
    startedAt: iso(now - 15_000),
    answeredAt: null,
    endedAt: null,
    talkSeconds: 0,
    recordings: [],
  });

  let popups: Any[] = [
    {
      callId: 900001,
      open: true,
      call: ringing(900001, '+79161234567', 'ringing'),
      contact: contacts[0],
      recentCalls: [callAt(3), callAt(11), callAt(25)].map((c) => ({ ...c, clientNumber: '+79161234567' })),
      recentMails: [
        { subject: 'Коммерческое предложение по складу', date: iso(now - 86400_000), from: 'morozov@stroyinvest.ru' },
        { subject: 'Re: Сроки тендера', date: iso(now - 4 * 86400_000), from: 'morozov@stroyinvest.ru' },
      ],
    },
    {
      callId: 900002,
      open: true,
      call: ringing(900002, '+79854443322', 'ringing'),
      contact: null,
      recentCalls: [],
      recentMails: [],
    },
  ];

  // Whom a call can be transferred to: three, never me, one not taking calls (as the core
  // answers: by name). The refused transfer is this call id's.
  let colleagues: Any[] = [
    { id: 2, name: 'Иванов Сергей', extension: '101', acceptCalls: true },
    { id: 4, name: 'Кузнецов Дмитрий', extension: '103', acceptCalls: false },
    { id: 3, name: 'Петрова Анна', extension: '102', acceptCalls: true },
    { id: 1, name: 'Смирнова Ольга', extension: '100', acceptCalls: true },
  ]
    .filter((c) => c.id !== meId)
    .slice(0, 3);
  const transferRefusedCallId = 900013;

  let missed: Any[] = [];
  for (let i = 0; missed.length < 3 && i < 200; i++) {
    const c = callAt(i);
    if (c.status === 'missed') missed.push(c);
  }
  // The first caller was missed twice: one row with «×2» on the main page.
  if (missed.length) missed.push({ ...missed[0], id: 900201, entryId: 'missed-again', startedAt: iso(Date.parse(missed[0].startedAt) - 3600_000) });

  const mango: Any = {
    apiKey: 'a1b2c3d4e5f6',
    apiSaltMasked: '••••••••',
    saltConfigured: true,
    vpbxId: 'vpbx400123',
    apiUrl: 'https://app.mango-office.ru/vpbx/',
    enabled: true,
    routingMode: 'group',
    groupId: '7001',
    webhookUrl: 'https://crm.asgard-service.ru/api/mango-webhook',
    lastTest: null,
    lastWebhookAt: iso(now - 3 * 60_000),
    lastGroupSync: { ok: true, at: iso(now - 60_000), message: 'Группа «ТО» обновлена: 2 сотрудника' },
  };

  const statusLog: Any[] = [
    { employeeId: 4, acceptCalls: false, changedBy: 1, changedByName: 'Смирнова Ольга', at: iso(now - 50 * 60_000) },
    { employeeId: 3, acceptCalls: true, changedBy: 3, changedByName: 'Петрова Анна', at: iso(now - 3 * 3600_000) },
    { employeeId: 2, acceptCalls: true, changedBy: null, changedByName: null, at: iso(now - 26 * 3600_000) },
  ];

  function stats(): Any {
    const days: Any[] = [];
    for (let d = 29; d >= 0; d--) {
      const t = new Date(now - d * 86400_000);
      const day = `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, '0')}-${String(t.getDate()).padStart(2, '0')}`;
      const weekend = t.getDay() === 0 || t.getDay() === 6;
      const answered = weekend ? Math.floor(rnd(d, 8) * 6) : 28 + Math.floor(rnd(d, 9) * 22);
      const miss = weekend ? Math.floor(rnd(d, 10) * 3) : 2 + Math.floor(rnd(d, 11) * 9);
      days.push({ day, answered, missed: miss });
    }
    const byHour = Array.from({ length: 24 }, (_, h) => {
      const work = h >= 9 && h < 19;
      const peak = h === 11 || h === 15 ? 1.5 : 1;
      return { hour: h, answered: work ? Math.round((40 + rnd(h, 12) * 40) * peak) : h === 8 || h === 19 ? 6 : 0, missed: work ? Math.round(4 + rnd(h, 13) * 10) : h === 8 || h === 19 ? 3 : 0 };
    });
    const byEmployee = employees
      .filter((e) => e.role === 'to' || e.role === 'admin')
      .map((e, i) => ({ employeeId: e.id, name: e.name, answered: 120 + Math.floor(rnd(i, 14) * 200), missed: 5 + Math.floor(rnd(i, 15) * 30), avgWaitSec: 6 + Math.floor(rnd(i, 16) * 15), avgTalkSec: 90 + Math.floor(rnd(i, 17) * 200) }));
    const answered = days.reduce((s, d) => s + d.answered, 0);
    const miss = days.reduce((s, d) => s + d.missed, 0);
    return { days, byHour, byEmployee, totals: { total: answered + miss, answered, missed: miss, missedRate: miss / (answered + miss) }, countedIn: o.statsCountedIn };
  }

  // A short tone as a WAV blob, so the player has something real to load and seek.
  function toneUrl(): string {
    const rate = 8000;
    const secs = 12;
    const n = rate * secs;
    const buf = new ArrayBuffer(44 + n * 2);
    const v = new DataView(buf);
    const str = (off: number, s: string) => [...s].forEach((ch, i) => v.setUint8(off + i, ch.charCodeAt(0)));
    str(0, 'RIFF');
    v.setUint32(4, 36 + n * 2, true);
    str(8, 'WAVE');
    str(12, 'fmt ');
    v.setUint32(16, 16, true);
    v.setUint16(20, 1, true);
    v.setUint16(22, 1, true);
    v.setUint32(24, rate, true);
    v.setUint32(28, rate * 2, true);
    v.setUint16(32, 2, true);
    v.setUint16(34, 16, true);
    str(36, 'data');
    v.setUint32(40, n * 2, true);
    for (let i = 0; i < n; i++) v.setInt16(44 + i * 2, Math.round(Math.sin((i / rate) * 2 * Math.PI * 440) * 3000), true);
    return URL.createObjectURL(new Blob([buf], { type: 'audio/wav' }));
  }

  const emit = (name: string, payload: unknown) => {
    for (const l of listeners.get(name) ?? []) l(payload);
  };
  const fail = (code: string, message: string) => Promise.reject({ code, message });
  const session = () => ({ relayUrl: 'https://crm.asgard-service.ru', login: me.login, loggedIn, me: loggedIn ? me : null });
  const adminOnly = () => (me.role !== 'admin' ? fail('forbidden', 'Недостаточно прав') : null);
  let nextContactId = 10;
  let settings = {
    relayUrl: 'https://crm.asgard-service.ru',
    login: me.login,
    popup: { when: 'ring', minDigits: 5, display: 'cursor', notification: true, position: 'bottom-right', durationSec: 0, sound: true },
    startAtLogin: true,
    mailNotifications: true,
    mailUndoSendSec: 5,
    updateUrl: 'https://updates.asgard-service.ru/phone/',
    language: 'ru',
  };
  const update = { state: 'downloaded', version: '0.2.0' };
  // As the core counts: callers, not calls.
  const attention = () => ({ missedCalls: new Set(missed.map((c) => c.clientNumber)).size, unreadMail: 7 });

  const handlers: Record<string, (a: Any) => unknown> = {
    'session:state': () => session(),
    'session:login': (a) => {
      if (a.password !== 'secret') return fail('invalid-credentials', 'Неверный логин или пароль');
      loggedIn = true;
      setTimeout(() => emit('session', session()), 0);
      return session();
    },
    'session:logout': () => {
      loggedIn = false;
      emit('session', session());
    },
    'me:setAcceptCalls': (a) => {
      me = { ...me, acceptCalls: a.acceptCalls };
      return me;
    },
    'connection:state': () => ({ state: 'connected', since: iso(now - 3600_000) }),
    'calls:list': (a) => ({ calls: listCalls(a) }),
    'calls:callback': (a) => (String(a.toNumber).endsWith('7766') ? fail('mango-refused', 'Манго отклонил звонок: у вашего добавочного номера нет исходящей связи (код 3101)') : { ok: true }),
    'calls:recordingUrl': () => ({ url: toneUrl() }),
    'calls:transfer': (a) =>
      a.callId === transferRefusedCallId
        ? // Late, as a real round trip: the test sees the form's buttons off meanwhile.
          new Promise((_, reject) => setTimeout(() => reject({ code: 'not-on-call', message: 'Перевести можно только разговор, который идёт у вас сейчас.' }), 300))
        : { commandId: 'cmd-1' },
    'colleagues:list': () => colleagues,
    'telephony:info': () => o.telephony ?? { enabled: true, routingMode: 'group' },
    'popups:list': () => popups,
    'popups:layout': () => undefined,
    'popups:dismiss': (a) => {
      popups = popups.filter((p) => p.callId !== a.callId);
    },
    'contacts:lookup': (a) => contactOf(a.phone),
    'contacts:get': (a) => {
      const c = contacts.find((x) => x.id === a.id);
      if (!c) return fail('not-found', 'Контакт не найден');
      const calls = listCalls({ limit: 1000 }).filter((x) => c.phones.includes(x.clientNumber)).slice(0, 12);
      return { contact: c, calls };
    },
    'contacts:list': (a) => contacts.filter((c) => !a.search || (c.name + c.company + c.phones.join()).toLowerCase().includes(String(a.search).toLowerCase())),
    // «Контакты»: the whole (small) list as one page; export and import as the relay would answer them.
    'contacts:page': (a) => {
      const found = contacts.filter((c) => !a.search || (c.name + c.company + c.phones.join() + c.emails.join()).toLowerCase().includes(String(a.search).toLowerCase()));
      return { contacts: found.map((c) => ({ ...c, lastCallAt: null })), next: null, total: found.length };
    },
    'contacts:export': () => ({ filename: 'contacts-2026-01-01.csv', csv: '\ufeffИмя;Компания;Телефоны;Email;Заметка\r\n' }),
    'contacts:import': (a) =>
      adminOnly() ?? { dryRun: a.dryRun, rows: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, errors: [], samples: { created: [], updated: [] } },
    'contacts:create': (a) => {
      const c = { id: nextContactId++, createdAt: iso(now), updatedAt: iso(now), ...a };
      contacts.push(c);
      return c;
    },
    'contacts:update': (a) => {
      const c = contacts.find((x) => x.id === a.id);
      Object.assign(c, a.patch, { updatedAt: iso(Date.now()) });
      return c;
    },
    'contacts:delete': (a) => {
      const i = contacts.findIndex((x) => x.id === a.id);
      if (i < 0) throw { code: 'not-found', message: 'Контакт не найден' };
      contacts.splice(i, 1);
    },
    'contacts:merge': (a) => {
      const keep = contacts.find((x) => x.id === a.keepId);
      const drop = contacts.find((x) => x.id === a.mergeId);
      keep.phones = [...new Set([...keep.phones, ...drop.phones])];
      contacts.splice(contacts.indexOf(drop), 1);
      return keep;
    },
    'missed:list': () => missed,
    'missed:dismiss': (a) => {
      const gone = new Set<number>(a.callIds ?? [a.callId]);
      missed = missed.filter((c) => !gone.has(c.id));
      // As the core does: it re-reads, and the list and the count of that read follow the dismissal.
      setTimeout(() => {
        emit('missed', missed);
        emit('attention', attention());
      }, 0);
    },
    'app:attention': () => attention(),
    'stats:get': () => stats(),
    'admin:employees': () => adminOnly() ?? employees,
    'admin:updateEmployee': (a) => {
      const denied = adminOnly();
      if (denied) return denied;
      const e = employees.find((x) => x.id === a.id);
      Object.assign(e, a.patch);
      if (a.patch.acceptCalls !== undefined) {
        const change = { employeeId: e.id, acceptCalls: e.acceptCalls, changedBy: me.id, changedByName: me.name, at: iso(Date.now()) };
        statusLog.unshift(change);
      }
      return e;
    },
    'admin:statusLog': () => adminOnly() ?? statusLog,
    'admin:mangoGet': () => adminOnly() ?? mango,
    'admin:mangoSave': (a) => {
      const denied = adminOnly();
      if (denied) return denied;
      const { apiSalt, ...rest } = a;
      Object.assign(mango, rest);
      if (apiSalt) {
        mango.saltConfigured = true;
        mango.apiSaltMasked = '••••••••';
      }
      return mango;
    },
    'admin:mangoTest': () => {
      const denied = adminOnly();
      if (denied) return denied;
      mango.lastTest = { ok: true, at: iso(Date.now()), message: 'Подключение к Манго работает: ключ и подпись приняты, найдено 6 сотрудников' };
      return { ok: true, code: 'ok', message: mango.lastTest.message, employeesFound: 6, balance: 15230.5 };
    },
    'admin:importUsers': () => adminOnly() ?? { created: 0, updated: 6 },
    'settings:get': () => settings,
    'settings:update': (a) => {
      const { popup, ...rest } = a;
      settings = { ...settings, ...rest, popup: { ...settings.popup, ...(popup ?? {}) } };
      setTimeout(() => emit('settings', settings), 0);
      return { settings, loggedOut: false };
    },
    'app:about': () => ({
      name: 'АСГАРД Телефония',
      version: '0.1.0',
      shell: 'electron',
      electron: '40.10.2',
      chromium: '144.0.7559.60',
      node: '24.11.1',
      os: 'Windows 10 Pro 10.0.19045 (x64)',
      relayVersion: null,
      buildDate: iso(now - 86_400_000),
    }),
    'update:state': () => update,
    'update:check': () => update,
    'update:install': () => undefined,
  };

  w.asgard = {
    invoke(name: string, args: unknown) {
      log.push({ name, args });
      const h = handlers[name];
      if (!h) return fail('unknown-request', 'Неизвестный запрос: ' + name);
      try {
        return Promise.resolve(h(args ?? {})).then((v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v))));
      } catch (e) {
        return fail('internal', String(e));
      }
    },
    on(name: string, l: (p: unknown) => void) {
      let s = listeners.get(name);
      if (!s) listeners.set(name, (s = new Set()));
      s.add(l);
      return () => s!.delete(l);
    },
  };
  if (o.browserMode) {
    const fakeApi = w.asgard;
    let looks = 0;
    delete w.asgard;
    Object.defineProperty(w, 'asgard', { configurable: true, get: () => (looks++ === 0 ? undefined : fakeApi) });
  }
  w.__fake = {
    emit,
    log,
    setColleagues(list: Any[]) {
      colleagues = list;
    },
    statusChangeForMe(acceptCalls: boolean) {
      me = { ...me, acceptCalls };
      emit('feed', { id: Date.now(), at: iso(Date.now()), news: true, payload: { kind: 'status', change: { employeeId: me.id, acceptCalls, changedBy: 1, changedByName: 'Смирнова Ольга', at: iso(Date.now()) } } });
    },
  };
}
