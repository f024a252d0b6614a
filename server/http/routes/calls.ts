import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RelayContext } from '../context';
import { requireEmployee } from '../context';
import { sendCsv } from '../csv-reply';
import { ApiFail, badRequest, notFound } from '../errors';
import { instant, parseBody, parseId, timeZoneName } from '../validate';
import { callStats, getCall, knownTimeZone, listCalls, missedCalls, STATS_DEFAULT_TIME_ZONE, visibleCallIds } from '../../calls/queries';
import { setCallComment } from '../../calls/comments';
import { exportCalls } from '../../calls/export';
import { daysSpanned, periodDays, STATS_EXPORT_MAX_DAYS, statsCsv, statsFilename } from '../../calls/stats-export';
import { listColleagues, liveLegOf } from '../../calls/transfer';
import { getEmployee, type EmployeeRow } from '../../people/employees';
import { MangoError } from '../../mango/client';
import { normalizePhone } from '../../../src-shared/phone';
import { CALL_COMMENT_MAX, CallDirectionSchema, MissedDismissBodySchema, TransferMethodSchema, UTC_OFFSET_MAX, UTC_OFFSET_MIN, type StatsCountedIn, type TelephonyInfo } from '../../../src-shared/wire';

const intish = z.coerce.number().int();
const CallsQuery = z.object({
  limit: intish.min(1).max(1000).default(200),
  before: intish.optional(),
  direction: CallDirectionSchema.optional(),
  status: z.enum(['active', 'answered', 'missed', 'unanswered']).optional(),
  phone: z.string().max(64).optional(),
  employeeId: intish.optional(),
  search: z.string().max(100).optional(),
  since: instant.optional(),
  until: instant.optional(),
});
/**
 * `tz`: the app's IANA time zone, the one its days and hours are counted in. `tzOffset`: its
 * current UTC offset in minutes east, counted in when this relay's tzdata does not know `tz`.
 */
const ZoneQuery = {
  tz: timeZoneName.optional(),
  // Digits only: coercion would read '' or ' ' as 0, UTC, and count in it without a word.
  tzOffset: z.string().regex(/^[+-]?\d{1,4}$/, 'ожидается смещение от UTC в минутах').transform(Number).pipe(z.number().int().min(UTC_OFFSET_MIN).max(UTC_OFFSET_MAX)).optional(),
};
const StatsQuery = z.object({
  since: instant,
  until: instant,
  employeeId: intish.optional(),
  ...ZoneQuery,
});
/** The list's filter (no paging: the export pages itself) and the zone its times are written in. */
const ExportQuery = CallsQuery.omit({ limit: true, before: true }).extend(ZoneQuery);
/** A number Mango can dial: one without any digit would be refused there (a 3xxx, which counts towards its lockout). */
const CallbackBody = z.object({
  toNumber: z.string().min(2).max(64).refine((v) => normalizePhone(v) !== null, 'ожидается номер телефона'),
});
/**
 * A call's comment; empty (once trimmed) removes it. Its length in characters (code points, as
 * the table's CHECK counts them, so an emoji is one); the first bound only spares the counting.
 */
const tooLong = `не длиннее ${CALL_COMMENT_MAX} символов`;
const CommentBody = z.object({
  text: z
    .string()
    .max(CALL_COMMENT_MAX * 2, tooLong)
    .trim()
    .refine((s) => [...s].length <= CALL_COMMENT_MAX, tooLong),
});
const TransferBody = z.object({ toEmployeeId: z.number().int().positive(), method: TransferMethodSchema.default('blind') });
/** A Mango recording id: opaque text, matched inside the calls' recordings jsonb. */
const RecordingParams = z.object({ id: z.string().min(1).max(200) });

/**
 * The clock the viewer counts in, as stats and the export take it (`tz`, else `tzOffset`).
 * Apps before `tz` counted in Moscow time: without it, so does the relay (an offset alone too).
 * A name this relay's tzdata lacks (renamed since, say) is no reason to refuse: the app's offset
 * counts on its current clock, and the answer may say so.
 */
async function viewerZone(ctx: RelayContext, q: { tz?: string; tzOffset?: number }): Promise<StatsCountedIn> {
  const asked = q.tz ?? STATS_DEFAULT_TIME_ZONE;
  const timeZone = await knownTimeZone(ctx.db, asked);
  if (timeZone) return { tz: timeZone };
  if (q.tz && q.tzOffset !== undefined) return { tzOffset: q.tzOffset };
  throw badRequest(`Неверный запрос: tz — неизвестный часовой пояс «${asked}»`);
}

function mangoFail(err: unknown): never {
  if (err instanceof MangoError) throw new ApiFail(502, `mango-${err.code}`, err.message, { result: err.result });
  throw err;
}

export function registerCallRoutes(app: FastifyInstance, ctx: RelayContext) {
  app.get('/api/calls', async (req) => {
    const me = await requireEmployee(ctx, req);
    return listCalls(ctx.db, me, parseBody(CallsQuery, req.query), { total: true });
  });

  // «Выгрузить в CSV»: what GET /api/calls shows this viewer for the same filter, as a file.
  app.get('/api/calls/export', async (req, reply) => {
    const me = await requireEmployee(ctx, req);
    const { tz, tzOffset, ...filter } = parseBody(ExportQuery, req.query);
    const zone = await viewerZone(ctx, { tz, tzOffset });
    // The first page is read here: a failing query is still a JSON error, not a cut-off file.
    const file = await exportCalls(ctx.db, me, filter, zone);
    return sendCsv(req, reply, ctx.log, { filename: file.filename, body: file.chunks }, 'calls');
  });

  app.get('/api/calls/:id', async (req) => {
    const me = await requireEmployee(ctx, req);
    const call = await getCall(ctx.db, me, parseId(req.params));
    if (!call) throw notFound('Звонок');
    return call;
  });

  app.put('/api/calls/:id/comment', async (req) => {
    const me = await requireEmployee(ctx, req);
    const id = parseId(req.params);
    const { text } = parseBody(CommentBody, req.body);
    const r = await setCallComment(ctx.db, me, id, text, { telephonyOn: (await ctx.settings.get()).enabled, deliveredBy: ctx.hub.instanceId });
    if (!r.ok) {
      if (r.reason === 'not-found') throw notFound('Звонок');
      throw new ApiFail(403, 'forbidden', 'Комментарий к звонку может оставить сотрудник, который принял или совершил звонок либо которому он поступал, и администратор');
    }
    // Committed: this relay's own sockets get the update now, other instances' through NOTIFY.
    ctx.hub.deliver(r.feed);
    return r.call;
  });

  app.post('/api/calls/callback', async (req) => {
    const me = await requireEmployee(ctx, req);
    const { toNumber } = parseBody(CallbackBody, req.body);
    const s = await ctx.settings.get();
    if (!s.enabled) throw new ApiFail(409, 'telephony-disabled', 'Телефония выключена администратором');
    // Our own data, not Mango's answer: nothing to dial from until the admin sets an extension.
    if (!me.extension) throw new ApiFail(409, 'no-extension', 'У вас не указан внутренний номер в Манго: обратитесь к администратору');
    try {
      const r = await ctx.mango.callback(me.extension, toNumber, { employeeId: me.id, target: toNumber });
      return { ok: true, commandId: r.commandId };
    } catch (err) {
      mangoFail(err);
    }
  });

  app.get('/api/telephony', async (req): Promise<TelephonyInfo> => {
    await requireEmployee(ctx, req);
    const s = await ctx.settings.get();
    return { enabled: s.enabled, routingMode: s.routingMode };
  });

  app.get('/api/colleagues', async (req) => {
    const me = await requireEmployee(ctx, req);
    return { colleagues: await listColleagues(ctx.db, me.id) };
  });

  // «Перевести звонок»: only the employee talking on the call hands it on, to a colleague.
  app.post('/api/calls/:id/transfer', async (req) => {
    const me = await requireEmployee(ctx, req);
    const id = parseId(req.params);
    const { toEmployeeId, method } = parseBody(TransferBody, req.body);
    const s = await ctx.settings.get();
    if (!s.enabled) throw new ApiFail(409, 'telephony-disabled', 'Телефония выключена администратором');
    if (!me.extension) throw new ApiFail(409, 'no-extension', 'У вас не указан внутренний номер в Манго: обратитесь к администратору');
    const call = await getCall(ctx.db, me, id);
    if (!call) throw notFound('Звонок');
    const leg = await liveLegOf(ctx.db, call.entryId, me.extension);
    if (!leg) throw new ApiFail(409, 'not-on-call', 'Перевести можно только разговор, который идёт у вас сейчас.');
    const to = await getEmployee(ctx.db, toEmployeeId);
    if (!to || !to.active || to.id === me.id) throw notFound('Сотрудник');
    if (!to.extension) throw new ApiFail(409, 'no-extension', `У сотрудника «${to.name}» не указан внутренний номер в Манго`);
    try {
      const r = await ctx.mango.transfer(leg.callId, to.extension, me.extension, method, { employeeId: me.id, target: to.name, callId: id });
      ctx.log.info({ reqId: req.id, callId: id, from: me.id, to: to.id, method }, 'call transfer requested');
      return { ok: true, commandId: r.commandId };
    } catch (err) {
      mangoFail(err);
    }
  });

  app.get('/api/missed', async (req) => {
    const me = await requireEmployee(ctx, req);
    return { calls: await missedCalls(ctx.db, me) };
  });

  // All the calls or none: one of them not visible to this employee is a 404 and nothing is written.
  const dismissMissed = async (me: EmployeeRow, ids: number[]) => {
    const visible = await visibleCallIds(ctx.db, me, ids);
    if (ids.some((id) => !visible.has(id))) throw notFound('Звонок');
    await ctx.db.query('UPDATE calls SET reminder_done = true WHERE id = ANY($1::bigint[])', [ids]);
    return { ok: true };
  };
  app.post('/api/missed/:id/dismiss', async (req) => dismissMissed(await requireEmployee(ctx, req), [parseId(req.params)]));
  // «×» on a caller's row: all of their missed calls at once.
  app.post('/api/missed/dismiss', async (req) => {
    const me = await requireEmployee(ctx, req);
    return dismissMissed(me, [...new Set(parseBody(MissedDismissBodySchema, req.body).callIds)]);
  });

  app.get('/api/recordings/:id', async (req, reply) => {
    const me = await requireEmployee(ctx, req);
    const recId = parseBody(RecordingParams, req.params).id;
    // Only a recording of a call this employee may see.
    const params: unknown[] = [JSON.stringify([{ id: recId }])];
    const own = await ctx.db.query<{ id: number }>('SELECT id FROM calls WHERE recordings @> $1::jsonb LIMIT 1', params);
    if (!own.rows[0] || !(await getCall(ctx.db, me, Number(own.rows[0].id)))) throw notFound('Запись');
    let audio: Response;
    try {
      audio = await ctx.mango.recording(recId);
    } catch (err) {
      mangoFail(err);
    }
    reply.header('content-type', audio.headers.get('content-type') ?? 'audio/mpeg');
    const len = audio.headers.get('content-length');
    if (len) reply.header('content-length', len);
    reply.header('cache-control', 'private, no-store');
    return reply.send(Buffer.from(await audio.arrayBuffer()));
  });

  app.get('/api/stats', async (req) => {
    const me = await requireEmployee(ctx, req);
    const q = parseBody(StatsQuery, req.query);
    const zone = await viewerZone(ctx, q);
    // Employees see their own figures only.
    const employeeId = me.role === 'admin' ? q.employeeId : me.id;
    return { ...(await callStats(ctx.db, { since: q.since, until: q.until, employeeId, zone })), countedIn: zone };
  });

  // «Выгрузить в CSV» of the statistics: the figures GET /api/stats gives for the same query, as a file.
  app.get('/api/stats/export', async (req, reply) => {
    const me = await requireEmployee(ctx, req);
    const q = parseBody(StatsQuery, req.query);
    // Stats take an empty period (all zeros); a file named by its first and last day cannot.
    if (q.until <= q.since) throw badRequest('Неверный запрос: until — конец периода должен быть позже начала');
    const zone = await viewerZone(ctx, q);
    const { first, last } = await periodDays(ctx.db, q.since, q.until, zone);
    // Past the calendar's ends on the viewer's clock (year 10000, or 1 BC written as 0001) the span is NaN or below 1.
    const span = daysSpanned(first, last);
    if (!(span >= 1 && span <= STATS_EXPORT_MAX_DAYS)) throw badRequest('Неверный запрос: период выгрузки — не больше 10 лет');
    // Employees get their own figures only, as in GET /api/stats; the file names whose they are.
    let employee: { id: number; name: string } | undefined = me.role === 'admin' ? undefined : me;
    if (me.role === 'admin' && q.employeeId) {
      // The file names the employee: one that does not exist is a 404, not an empty report under a number.
      const found = await getEmployee(ctx.db, q.employeeId);
      if (!found) throw notFound('Сотрудник');
      employee = found;
    }
    const stats = await callStats(ctx.db, { since: q.since, until: q.until, employeeId: employee?.id, zone });
    return sendCsv(req, reply, ctx.log, { filename: statsFilename(first, last), body: statsCsv({ stats, first, last, zone, employeeName: employee?.name }) }, 'stats');
  });
}
