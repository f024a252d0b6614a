/**
 * #/mango «Статусы сотрудников»: the add-employee form's checks, the generated password, and the
 * admin store's create/update (the new row appears sorted; a password never enters the list; a
 * refusal rolls the row back).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Employee } from '../../src-shared/wire';
import { generatePassword, validateNewEmployee, type NewEmployeeDraft } from '../../src-renderer/components/EmployeeDialogs';
import { upsertEmployee, useAdmin } from '../../src-renderer/stores/admin';

const asked = vi.hoisted(() => [] as { name: string; args: unknown }[]);
const answers = vi.hoisted(() => new Map<string, (args: never) => unknown>());
vi.mock('../../src-renderer/api', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src-renderer/api')>();
  const call = (async (name: string, args?: unknown) => {
    asked.push({ name, args });
    const answer = answers.get(name);
    if (!answer) throw new Error(`unexpected request ${name}`);
    return answer(args as never);
  }) as typeof orig.call;
  return { ...orig, call };
});

const emp = (id: number, name: string, over: Partial<Employee> = {}): Employee => ({
  id, login: `u${id}`, name, role: 'to', extension: null, mangoUserId: null, email: null, phones: [], active: true, acceptCalls: true, acceptCallsManual: false, ...over,
});
const draft = (over: Partial<NewEmployeeDraft> = {}): NewEmployeeDraft => ({ name: 'Иванов Иван', login: 'ivanov', role: 'to', extension: '', email: '', password: 'secret1', ...over });

describe('add employee: checks before the request', () => {
  it('passes a complete form; optional fields may stay empty', () => {
    expect(validateNewEmployee(draft())).toEqual({});
    expect(validateNewEmployee(draft({ extension: '101', email: 'a@b.ru' }))).toEqual({});
  });

  it('names every wrong field in Russian', () => {
    expect(validateNewEmployee(draft({ name: '  ', login: '', password: '' }))).toEqual({ name: 'Заполните это поле', login: 'Заполните это поле', password: 'Заполните это поле' });
    expect(validateNewEmployee(draft({ login: 'ivan ov', extension: '10a', email: 'nope', password: '12345' }))).toEqual({
      login: 'Логин без пробелов',
      extension: 'Только цифры',
      email: 'Проверьте адрес: в нём нет «@»',
      password: 'Пароль не короче 6 символов',
    });
  });

  it('generates 10-character passwords with a letter and a digit, no look-alikes, each different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const pw = generatePassword();
      expect(pw).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{10}$/);
      expect(pw).toMatch(/\d/);
      expect(pw).toMatch(/[a-z]/i);
      seen.add(pw);
    }
    expect(seen.size).toBe(200);
    expect(validateNewEmployee(draft({ password: generatePassword() }))).toEqual({});
  });
});

describe('admin store: employees', () => {
  beforeEach(() => {
    asked.length = 0;
    answers.clear();
    useAdmin.getState().reset();
    useAdmin.setState({ employees: [emp(1, 'Администратор', { role: 'admin', online: true }), emp(2, 'Яковлев Ян', { online: true })], employeesLoaded: true });
  });

  it('upsertEmployee keeps the list sorted and the known presence', () => {
    const l = [emp(1, 'Б'), emp(2, 'Г', { online: true })];
    expect(upsertEmployee(l, emp(3, 'В')).map((e) => e.name)).toEqual(['Б', 'В', 'Г']);
    expect(upsertEmployee(l, emp(2, 'А')).map((e) => [e.name, e.online])).toEqual([['А', true], ['Б', undefined]]);
  });

  it('createEmployee puts the relay’s employee in the list, sorted by name', async () => {
    answers.set('admin:createEmployee', (a: { name: string; login: string }) => emp(7, a.name, { login: a.login, role: 'pm', acceptCalls: false }));
    const created = await useAdmin.getState().createEmployee({ name: 'Смирнова Анна', login: 'smirnova', role: 'pm', password: 'secret1', extension: null, email: null });
    expect(created.id).toBe(7);
    expect(useAdmin.getState().employees.map((e) => e.name)).toEqual(['Администратор', 'Смирнова Анна', 'Яковлев Ян']);
  });

  it('a password change never puts the password in the list; a refusal rolls the row back', async () => {
    answers.set('admin:updateEmployee', (a: { id: number; patch: { name?: string } }) => emp(a.id, a.patch.name ?? 'Яковлев Ян'));
    await useAdmin.getState().updateEmployee(2, { password: 'secret1' });
    expect(asked.at(-1)).toEqual({ name: 'admin:updateEmployee', args: { id: 2, patch: { password: 'secret1' } } });
    expect(JSON.stringify(useAdmin.getState().employees)).not.toContain('secret1');

    await useAdmin.getState().updateEmployee(2, { name: 'Аверин Ян' });
    expect(useAdmin.getState().employees.map((e) => [e.name, e.online])).toEqual([['Аверин Ян', true], ['Администратор', true]]);

    answers.set('admin:updateEmployee', () => {
      throw { code: 'self-deactivate', message: 'Нельзя отключить собственную учётную запись' };
    });
    await expect(useAdmin.getState().updateEmployee(1, { active: false })).rejects.toMatchObject({ message: 'Нельзя отключить собственную учётную запись' });
    expect(useAdmin.getState().employees.find((e) => e.id === 1)?.active).toBe(true);
  });
});
