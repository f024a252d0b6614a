import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RelayContext } from '../context';
import { requireEmployee } from '../context';
import { notFound } from '../errors';
import { parseBody, parseId } from '../validate';
import { createContact, findContactByPhone, getContact, listContacts, mergeContacts, updateContact } from '../../people/contacts';
import { listCalls } from '../../calls/queries';

const ContactInput = z.object({
  name: z.string().max(200),
  company: z.string().max(200).default(''),
  phones: z.array(z.string().max(64)).max(20).default([]),
  emails: z.array(z.string().email().max(200)).max(20).default([]),
  note: z.string().max(5000).default(''),
});

export function registerContactRoutes(app: FastifyInstance, ctx: RelayContext) {
  app.get('/api/contacts', async (req) => {
    await requireEmployee(ctx, req);
    const { search } = parseBody(z.object({ search: z.string().max(100).optional() }), req.query);
    return { contacts: await listContacts(ctx.db, search) };
  });
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
    const calls = (await Promise.all(contact.phones.map((phone) => listCalls(ctx.db, me, { limit: 200, phone }))))
      .flatMap((page) => page.calls)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    return { contact, calls };
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
