import type { z } from 'zod';
import { badRequest } from './errors';

/** Parses a request body or query with zod; a failure is a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw badRequest(`Неверный запрос: ${i.path.join('.') || 'тело'} — ${i.message}`, r.error.issues);
  }
  return r.data;
}
