/** Admin data: employees (with live presence and statuses), Mango settings, status log. */
import { create } from 'zustand';
import type { Employee, FeedItem, MangoSettingsView, MangoTestDraft, MangoTestResult, StatusChange, WebhookJournal } from '../../src-shared/wire';
import type { ArgsOf } from '../../src-shared/ipc/contract';
import { call, toAppError } from '../api';

type MangoSave = NonNullable<ArgsOf<'admin:mangoSave'>>;
export type NewEmployee = ArgsOf<'admin:createEmployee'>;
export type EmployeePatch = ArgsOf<'admin:updateEmployee'>['patch'];

interface AdminStore {
  employees: Employee[];
  employeesLoaded: boolean;
  employeesError: string | null;
  mango: MangoSettingsView | null;
  mangoError: string | null;
  /** The relay refused (not an admin): nothing of the panel is shown. */
  forbidden: boolean;
  statusLog: StatusChange[];
  logLoaded: boolean;
  lastTest: MangoTestResult | null;
  testing: boolean;
  importing: boolean;
  /** The webhook journal for `journalHours` hours, and why it could not be loaded. */
  journal: WebhookJournal | null;
  journalHours: number;
  journalError: string | null;
  loadAll(): Promise<void>;
  loadJournal(hours?: number): Promise<void>;
  loadEmployees(): Promise<void>;
  loadMango(): Promise<void>;
  loadLog(): Promise<void>;
  saveMango(patch: MangoSave): Promise<MangoSettingsView>;
  /** The saved settings, or with `draft` the values typed in the form (not saved). */
  testMango(draft?: MangoTestDraft): Promise<MangoTestResult>;
  importUsers(): Promise<{ created: number; updated: number }>;
  /** Adds an employee on the relay; the row appears in the list at once. */
  createEmployee(input: NewEmployee): Promise<Employee>;
  /** Name, role, extension, «Приём звонков», active, password: shown at once, rolled back on a refusal. */
  updateEmployee(id: number, patch: EmployeePatch): Promise<Employee>;
  applyFeed(item: FeedItem): void;
  reset(): void;
}

const initial = {
  employees: [] as Employee[],
  employeesLoaded: false,
  employeesError: null as string | null,
  mango: null as MangoSettingsView | null,
  mangoError: null as string | null,
  forbidden: false,
  statusLog: [] as StatusChange[],
  logLoaded: false,
  lastTest: null as MangoTestResult | null,
  testing: false,
  importing: false,
  journal: null as WebhookJournal | null,
  journalHours: 24,
  journalError: null as string | null,
};

function isForbidden(e: unknown): boolean {
  const err = toAppError(e);
  return err.code === 'forbidden' || err.code === 'FORBIDDEN' || /403/.test(err.code);
}

/** Pure: puts the relay's view of an employee in the list (kept sorted by name); presence stays as known. */
export function upsertEmployee(list: Employee[], e: Employee): Employee[] {
  const i = list.findIndex((x) => x.id === e.id);
  if (i < 0) return [...list, e].sort((a, b) => a.name.localeCompare(b.name, 'ru'));
  const next = list.slice();
  next[i] = { ...list[i], ...e, online: e.online ?? list[i].online };
  // Sorted again even when the name looks unchanged: an optimistic rename put it in the row already.
  return next.sort((a, b) => a.name.localeCompare(b.name, 'ru'));
}

/** Pure: applies a feed item to the employee list. */
export function applyFeedToEmployees(list: Employee[], item: FeedItem): Employee[] {
  const p = item.payload;
  if (p.kind === 'employee') {
    const i = list.findIndex((e) => e.id === p.employee.id);
    if (i < 0) return [...list, p.employee].sort((a, b) => a.name.localeCompare(b.name, 'ru'));
    const next = list.slice();
    next[i] = { ...list[i], ...p.employee, online: p.employee.online ?? list[i].online };
    return next;
  }
  if (p.kind === 'status') {
    const i = list.findIndex((e) => e.id === p.change.employeeId);
    if (i < 0 || list[i].acceptCalls === p.change.acceptCalls) return list;
    const next = list.slice();
    next[i] = { ...list[i], acceptCalls: p.change.acceptCalls, acceptCallsManual: true };
    return next;
  }
  if (p.kind === 'presence') {
    const i = list.findIndex((e) => e.id === p.employeeId);
    if (i < 0 || list[i].online === p.online) return list;
    const next = list.slice();
    next[i] = { ...list[i], online: p.online };
    return next;
  }
  return list;
}

/** Pure: a status change goes on top of the log once. */
export function applyFeedToLog(log: StatusChange[], item: FeedItem): StatusChange[] {
  const p = item.payload;
  if (p.kind !== 'status') return log;
  const c = p.change;
  if (log.some((x) => x.employeeId === c.employeeId && x.at === c.at && x.acceptCalls === c.acceptCalls)) return log;
  return [c, ...log].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, 500);
}

export const useAdmin = create<AdminStore>((set, get) => ({
  ...initial,

  async loadAll() {
    await Promise.all([get().loadMango(), get().loadEmployees(), get().loadLog(), get().loadJournal()]);
  },

  async loadJournal(hours = get().journalHours) {
    set({ journalHours: hours });
    try {
      const journal = await call('admin:webhookJournal', { hours });
      // A slower answer for a window the admin has since left is not shown.
      if (get().journalHours === hours) set({ journal, journalError: null });
    } catch (e) {
      set({ journalError: toAppError(e).message, forbidden: get().forbidden || isForbidden(e) });
    }
  },

  async loadEmployees() {
    try {
      const employees = await call('admin:employees');
      set({ employees: employees.slice().sort((a, b) => a.name.localeCompare(b.name, 'ru')), employeesLoaded: true, employeesError: null });
    } catch (e) {
      set({ employeesLoaded: true, employeesError: toAppError(e).message, forbidden: get().forbidden || isForbidden(e) });
    }
  },

  async loadMango() {
    try {
      const mango = await call('admin:mangoGet');
      set({ mango, mangoError: null });
    } catch (e) {
      set({ mangoError: toAppError(e).message, forbidden: get().forbidden || isForbidden(e) });
    }
  },

  async loadLog() {
    try {
      const statusLog = await call('admin:statusLog');
      set({ statusLog: statusLog.slice().sort((a, b) => Date.parse(b.at) - Date.parse(a.at)), logLoaded: true });
    } catch (e) {
      set({ logLoaded: true, forbidden: get().forbidden || isForbidden(e) });
    }
  },

  async saveMango(patch) {
    const mango = await call('admin:mangoSave', patch);
    // A draft's test result described the typing now saved or discarded: the saved test shows again.
    set((s) => ({ mango, lastTest: s.lastTest?.draft ? null : s.lastTest }));
    return mango;
  },

  async testMango(draft) {
    set({ testing: true });
    try {
      const r = await call('admin:mangoTest', draft);
      set({ lastTest: r });
      // The relay stores a test of the saved settings as `lastTest`: refresh the view (checklist).
      // Not after a draft's: nothing was stored, and a refresh would reset the form's typing.
      if (!r.draft) void get().loadMango();
      return r;
    } finally {
      set({ testing: false });
    }
  },

  async importUsers() {
    set({ importing: true });
    try {
      const r = await call('admin:importUsers');
      await get().loadEmployees();
      return r;
    } finally {
      set({ importing: false });
    }
  },

  async createEmployee(input) {
    const created = await call('admin:createEmployee', input);
    set({ employees: upsertEmployee(get().employees, created) });
    return created;
  },

  async updateEmployee(id, patch) {
    const before = get().employees;
    // The password never goes into the list, not even for a moment.
    const { password: _password, ...shown } = patch;
    set({ employees: before.map((e) => (e.id === id ? { ...e, ...shown } : e)) });
    try {
      const updated = await call('admin:updateEmployee', { id, patch });
      set({ employees: upsertEmployee(get().employees, updated) });
      if (patch.acceptCalls !== undefined) void get().loadLog();
      return updated;
    } catch (e) {
      set({ employees: before });
      throw toAppError(e);
    }
  },

  applyFeed(item) {
    const st = get();
    const employees = applyFeedToEmployees(st.employees, item);
    const statusLog = st.logLoaded ? applyFeedToLog(st.statusLog, item) : st.statusLog;
    const mango =
      item.payload.kind === 'call' && st.mango && !st.mango.lastWebhookAt ? { ...st.mango, lastWebhookAt: item.at } : st.mango;
    if (employees !== st.employees || statusLog !== st.statusLog || mango !== st.mango) set({ employees, statusLog, mango });
  },

  reset() {
    set({ ...initial });
  },
}));
