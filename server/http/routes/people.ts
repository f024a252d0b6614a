import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RelayContext } from '../context';
import { bearer, requireAdmin, requireEmployee } from '../context';
import { ApiFail, notFound } from '../errors';
import { parseBody, parseId } from '../validate';
import { createEmployee, getEmployee, listEmployees, toEmployee, type EmployeeRow } from '../../people/employees';
import { verifyPassword, hashPassword } from '../../people/passwords';
import { createSession, deleteSession, deleteSessions } from '../../people/sessions';
import { lockEmployee, lockLiveCalls, logStatusChange, redecideLiveCalls, setAcceptCalls, statusLog } from '../../people/status';
import { defaultAcceptCalls, ROLES } from '../../../src-shared/roles';
import { appendToAdminsAnd } from '../../hub/feed-store';

const Login = z.object({ login: z.string().min(1).max(100), password: z.string().min(1).max(200) });
const NewEmployee = z.object({
  login: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
  role: z.enum(ROLES),
  password: z.string().min(6).max(200),
  extension: z.string().max(20).nullish(),
  email: z.string().max(200).nullish(),
  phones: z.array(z.string().max(64)).max(20).optional(),
  acceptCalls: z.boolean().optional(),
});
const StatusLogQuery = z.object({ limit: z.coerce.number().int().min(1).max(2000).default(500) });
const PatchEmployee = z.object({
  name: z.string().min(1).max(200).optional(),
  role: z.enum(ROLES).optional(),
  extension: z.string().max(20).nullish(),
  email: z.string().max(200).nullish(),
  acceptCalls: z.boolean().optional(),
  active: z.boolean().optional(),
  password: z.string().min(6).max(200).optional(),
});

/** pg_advisory_xact_lock key (with 0) serializing changes to admin accounts. */
const ADMIN_CHANGE_LOCK = 74203;

export function registerPeopleRoutes(app: FastifyInstance, ctx: RelayContext) {
  app.post('/api/auth/login', async (req) => {
    const { login, password } = parseBody(Login, req.body);
    const row = (await ctx.db.query<EmployeeRow>('SELECT * FROM employees WHERE lower(login) = lower($1)', [login])).rows[0];
    const ok = row ? await verifyPassword(password, row.password_hash) : await verifyPassword(password, null);
    if (!row || !ok || !row.active) throw new ApiFail(401, 'bad-credentials', 'Неверный логин или пароль');
    const s = await createSession(ctx.db, Number(row.id));
    ctx.log.info({ reqId: req.id, employeeId: row.id }, 'login');
    return { token: s.token, expiresAt: s.expiresAt, employee: toEmployee({ ...row, id: Number(row.id) }) };
  });

  app.post('/api/auth/logout', async (req) => {
    await requireEmployee(ctx, req);
    await deleteSession(ctx.db, bearer(req) ?? '');
    return { ok: true };
  });

  app.get('/api/me', async (req) => toEmployee(await requireEmployee(ctx, req)));

  app.put('/api/me/status', async (req) => {
    const me = await requireEmployee(ctx, req);
    const { acceptCalls } = parseBody(z.object({ acceptCalls: z.boolean() }), req.body);
    const row = await setAcceptCalls(ctx.db, me.id, acceptCalls, me, (await ctx.settings.get()).enabled);
    ctx.mango.statusChanged();
    return toEmployee(row);
  });

  app.get('/api/admin/employees', async (req) => {
    await requireAdmin(ctx, req);
    const online = await ctx.hub.onlineIds();
    return { employees: (await listEmployees(ctx.db)).map((e) => toEmployee({ ...e, id: Number(e.id) }, online.has(Number(e.id)))) };
  });

  app.post('/api/admin/employees', async (req, reply) => {
    await requireAdmin(ctx, req);
    const b = parseBody(NewEmployee, req.body);
    try {
      const row = await createEmployee(ctx.db, b);
      ctx.mango.statusChanged();
      reply.code(201);
      return toEmployee({ ...row, id: Number(row.id) });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ApiFail(409, 'conflict', 'Сотрудник с таким логином уже есть');
      throw err;
    }
  });

  app.patch('/api/admin/employees/:id', async (req) => {
    const admin = await requireAdmin(ctx, req);
    const id = parseId(req.params);
    const p = parseBody(PatchEmployee, req.body);
    const cur = await getEmployee(ctx.db, id);
    if (!cur) throw notFound('Сотрудник');
    // An admin cannot lock themselves out: the company could be left without one.
    if (id === Number(admin.id)) {
      if (p.active === false) throw new ApiFail(409, 'self-deactivate', 'Нельзя отключить собственную учётную запись');
      if (p.role !== undefined && p.role !== 'admin') throw new ApiFail(409, 'self-demote', 'Нельзя снять роль администратора с самого себя');
    }
    const telephonyOn = (await ctx.settings.get()).enabled;
    await ctx.db.tx(async (q) => {
      // Changes to admins one at a time, before any row lock: two admins demoting each other at
      // once, the second sees the first and the company keeps its last active admin.
      if (cur.role === 'admin') await q.query('SELECT pg_advisory_xact_lock($1, 0)', [ADMIN_CHANGE_LOCK]);
      // Role, extension and active decide who is rung: the live calls follow the change at once.
      const live = await lockLiveCalls(q);
      const before = await lockEmployee(q, id);
      if (before?.role === 'admin' && before.active && (p.active === false || (p.role !== undefined && p.role !== 'admin'))) {
        const others = await q.query("SELECT 1 FROM employees WHERE role = 'admin' AND active AND id <> $1", [id]);
        if (others.rows.length === 0) throw new ApiFail(409, 'last-admin', 'Нельзя отключить или лишить прав последнего администратора');
      }
      const role = p.role ?? cur.role;
      // A role change re-applies the role's default unless the flag was set by hand.
      const roleDefault = p.role && p.role !== cur.role && !cur.accept_calls_manual ? defaultAcceptCalls(p.role) : cur.accept_calls;
      const updated = await q.query<EmployeeRow>(
        `UPDATE employees SET name = $2, role = $3, extension = $4, email = $5, active = $6, accept_calls = $7,
           password_hash = COALESCE($8, password_hash), updated_at = now() WHERE id = $1 RETURNING *`,
        [
          id,
          p.name ?? cur.name,
          role,
          p.extension === undefined ? cur.extension : p.extension || null,
          p.email === undefined ? cur.email : p.email || null,
          p.active ?? cur.active,
          roleDefault,
          p.password ? await hashPassword(p.password) : null,
        ],
      );
      if (before && updated.rows[0]) await redecideLiveCalls(q, live, before, updated.rows[0], telephonyOn);
      // A new role's default switched «Приём звонков»: in the status log and the employee's app like any switch.
      if (roleDefault !== cur.accept_calls && p.acceptCalls === undefined) await logStatusChange(q, id, roleDefault, admin);
      // Signed out everywhere; an admin changing their own password stays signed in here.
      if (p.active === false || p.password) await deleteSessions(q, id, id === Number(admin.id) ? bearer(req) : null);
    });
    let row: EmployeeRow;
    if (p.acceptCalls !== undefined) row = await setAcceptCalls(ctx.db, id, p.acceptCalls, admin, telephonyOn);
    else {
      row = (await getEmployee(ctx.db, id))!;
      await ctx.db.tx((q) => appendToAdminsAnd(q, { kind: 'employee', employee: toEmployee({ ...row, id }) }, [id]));
    }
    ctx.mango.statusChanged();
    return toEmployee({ ...row, id });
  });

  app.get('/api/admin/status-log', async (req) => {
    await requireAdmin(ctx, req);
    const { limit } = parseBody(StatusLogQuery, req.query);
    return { log: await statusLog(ctx.db, limit) };
  });
}
