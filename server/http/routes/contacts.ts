import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RelayContext } from '../context';
import { requireAdmin, requireEmployee } from '../context';
import { appendToEveryone } from '../../hub/feed-store';
import { sendCsv } from '../csv-reply';
import { ApiFail, notFound } from '../errors';
import { parseBody, parseId, timeZoneName } from '../validate';
import { createContact, deleteContact, findContactByPhone, getContact, listContacts, mergeContacts, updateContact } from '../../people/contacts';
import { exportContacts, pageContacts, CONTACTS_PAGE_MAX } from '../../people/contacts-directory';
import { ContactsImportRefused, importContacts } from '../../people/contacts-import';
import { CONTACTS_IMPORT_MAX_CHARS } from '../../../src-shared/wire';
import { normalizePhone } from '../../../src-shared/phone';
import { knownTimeZone, listCalls, STATS_DEFAULT_TIME_ZONE, todayIn } from '../../calls/queries';

const Search = z.string().max(100).optional();
/**
 * Without `limit`: the list as apps before the directory read it (up to 200, no paging). With it:
 * a page of the directory, after the cursor (afterName, afterId) the previous page answered.
 */
const ListQuery = z.object({
  search: Search,
  limit: z.coerce.number().int().min(1).max(CONTACTS_PAGE_MAX).optional(),
  afterName: z.string().max(200).optional(),
  afterId: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
/** The file's date is today in the viewer's zone (`tz`; unknown or absent: Moscow, as stats). */
const ExportQuery = z.object({ search: Search, tz: timeZoneName.optional() });
/**
 * The file's text, as the app decoded it (UTF-8, or cp1251 from old Excel). The relay's body
 * limit is for ordinary requests; 20,000 rows with notes take a few megabytes.
 */
export const CONTACTS_IMPORT_BODY_LIMIT = 16 * 1024 * 1024;
const ImportBody = z.object({ csv: z.string().max(CONTACTS_IMPORT_MAX_CHARS, 'файл больше 5 млн символов'), dryRun: z.boolean().default(true) });

const ContactInput = z.object({
  name: z.string().max(200),
  company: z.string().max(200).default(''),
  phones: z.array(z.string().max(64)).max(20).default([]),
  emails: z.array(z.string().email().max(200)).max(20).default([]),
  note: z.string().max(5000).default(''),
});

export function registerContactRoutes(app: FastifyInstance, ctx: RelayContext) {
  app.get('/api/contacts', async (req) => {
    const me = await requireEmployee(ctx, req);
    const { search, limit, afterName, afterId } = parseBody(ListQuery, req.query);
    if (limit === undefined) return { contacts: await listContacts(ctx.db, search) };
    const after = afterName !== undefined && afterId !== undefined ? { name: afterName, id: afterId } : undefined;
    return pageContacts(ctx.db, me, { search, limit, after });
  });
  // «Выгрузить в CSV»: the directory for the same search, as a file for Excel (any employee: they all see it).
  app.get('/api/contacts/export', async (req, reply) => {
    await requireEmployee(ctx, req);
    const { search, tz } = parseBody(ExportQuery, req.query);
    const zone = (await knownTimeZone(ctx.db, tz ?? STATS_DEFAULT_TIME_ZONE)) ?? STATS_DEFAULT_TIME_ZONE;
    const day = await todayIn(ctx.db, { tz: zone });
    const file = await exportContacts(ctx.db, search, day);
    return sendCsv(req, reply, ctx.log, { filename: file.filename, body: file.chunks }, 'contacts');
  });
  // «Загрузить из CSV»: admins only. The session is checked before the (large) body is read.
  app.post(
    '/api/contacts/import',
    {
      bodyLimit: Math.max(ctx.config.bodyLimitBytes, CONTACTS_IMPORT_BODY_LIMIT),
      onRequest: async (req) => {
        await requireAdmin(ctx, req);
      },
    },
    async (req) => {
      const me = await requireAdmin(ctx, req);
      const { csv, dryRun } = parseBody(ImportBody, req.body);
      try {
        const result = await importContacts(ctx.db, csv, dryRun);
        if (!dryRun) {
          ctx.log.info(
            { reqId: req.id, employeeId: me.id, login: me.login, rows: result.rows, created: result.created, updated: result.updated, unchanged: result.unchanged, skipped: result.skipped },
            'contacts imported from CSV',
          );
        }
        return result;
      } catch (e) {
        if (e instanceof ContactsImportRefused) throw new ApiFail(400, e.code, e.message);
        throw e;
      }
    },
  );
  app.get('/api/contacts/lookup', async (req) => {
    await requireEmployee(ctx, req);
    const { phone } = parseBody(z.object({ phone: z.string().min(1).max(64) }), req.query);
    return { contact: await findContactByPhone(ctx.db, phone) };
  });
  app.post('/api/contacts', async (req, reply) => {
    await requireEmployee(ctx, req);
    const c = await createContact(ctx.db, parseBody(ContactInput, req.body));
    reply.code(201);
    return c;
  });
  app.post('/api/contacts/merge', async (req) => {
    await requireEmployee(ctx, req);
    const { keepId, mergeId } = parseBody(z.object({ keepId: z.number().int(), mergeId: z.number().int() }), req.body);
    const c = await ctx.db.tx((q) => mergeContacts(q, keepId, mergeId));
    if (!c) throw notFound('Контакт');
    return c;
  });
  app.get('/api/contacts/:id', async (req) => {
    const me = await requireEmployee(ctx, req);
    const contact = await getContact(ctx.db, parseId(req.params));
    if (!contact) throw notFound('Контакт');
    // One number at two desks («доб. 12», «доб. 215») is one line of calls: read it once.
    const numbers = [...new Set(contact.phones.map((p) => normalizePhone(p) ?? p))];
    const calls = (await Promise.all(numbers.map((phone) => listCalls(ctx.db, me, { limit: 200, phone }))))
      .flatMap((page) => page.calls)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    return { contact, calls };
  });
  // For everyone and for good: an admin's decision, as the import is.
  app.delete('/api/contacts/:id', async (req) => {
    const me = await requireAdmin(ctx, req);
    const id = parseId(req.params);
    const feed = await ctx.db.tx(async (q) => {
      const ids = await deleteContact(q, id);
      if (!ids) return null;
      // Every app holding a copy forgets it (the history shows the number again, not the name).
      return appendToEveryone(q, { kind: 'contact-deleted', contactIds: ids }, ctx.hub.instanceId);
    });
    if (!feed) throw notFound('Контакт');
    ctx.hub.deliver(feed);
    ctx.log.info({ reqId: req.id, contactId: id, by: me.id }, 'contact deleted');
    return { ok: true };
  });
  app.patch('/api/contacts/:id', async (req) => {
    await requireEmployee(ctx, req);
    const id = parseId(req.params);
    const patch = parseBody(ContactInput.partial(), req.body);
    const c = await ctx.db.tx((q) => updateContact(q, id, patch));
    if (!c) throw notFound('Контакт');
    return c;
  });
}
