import { z } from 'zod';
import { findUnstorable } from '../db/unstorable';
import { badRequest } from './errors';

/**
 * Parses a request body, query or path params with zod; a failure is a 400 naming the field.
 * So is a key or string with NUL or a lone surrogate, which would otherwise fail in PostgreSQL as a 500.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw badRequest(`Неверный запрос: ${i.path.join('.') || 'тело'} — ${i.message}`, r.error.issues);
  }
  const bad = findUnstorable(r.data);
  if (bad) throw badRequest(`Неверный запрос: ${bad.path.join('.') || 'тело'} — недопустимый символ (NUL или непарный суррогат)`);
  return r.data;
}

/**
 * A row id in the path (`:id`): the tables' ids are bigserial, held exactly by JavaScript up to
 * 2^53, so at most 15 digits. Anything else is a 400, not a query PostgreSQL refuses.
 */
const IdParams = z.object({ id: z.string().regex(/^\d{1,15}$/, 'ожидается номер записи').transform(Number) });
export const parseId = (params: unknown): number => parseBody(IdParams, params).id;

/**
 * An ISO 8601 instant, passed on in UTC: PostgreSQL takes offsets up to ±15:59 only (ISO up to
 * ±23:59) and no year 0, so the instant must fall within the years 1–9999.
 */
export const instant = z
  .string()
  .datetime({ offset: true })
  .refine((s) => {
    const y = new Date(s).getUTCFullYear();
    return y >= 1 && y <= 9999;
  }, 'дата вне допустимого диапазона')
  .transform((s) => new Date(s).toISOString());

/**
 * The shape of an IANA time zone name ("Europe/Moscow", "Etc/GMT+5", "UTC"). Whether PostgreSQL
 * knows it is the database's to say (knownTimeZone): a POSIX spec such as "UTC+5", which
 * PostgreSQL would accept with its sign reversed, is not among its names and is refused there.
 */
export const timeZoneName = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,3}$/, 'ожидается часовой пояс, например Europe/Moscow');
