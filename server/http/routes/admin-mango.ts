import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RelayContext } from '../context';
import { requireAdmin } from '../context';
import { ApiFail } from '../errors';
import { parseBody } from '../validate';
import { MangoTestDraftSchema, RoutingModeSchema } from '../../../src-shared/wire';
import { MangoError } from '../../mango/client';
import { redecideOnTelephonySwitch } from '../../people/status';
import { appendToEveryone } from '../../hub/feed-store';

const MangoPatch = z.object({
  apiKey: z.string().trim().max(200).optional(),
  apiSalt: z.string().trim().max(200).optional(),
  vpbxId: z.string().trim().max(100).optional(),
  apiUrl: z.string().trim().url().max(500).optional(),
  enabled: z.boolean().optional(),
  routingMode: RoutingModeSchema.optional(),
  groupId: z.string().trim().max(50).nullish(),
});

/** The webhook journal's window: a day by default, at most the week it keeps. */
const JournalQuery = z.object({ hours: z.coerce.number().int().min(1).max(168).default(24) });

export function registerAdminMangoRoutes(app: FastifyInstance, ctx: RelayContext) {
  app.get('/api/admin/mango', async (req) => {
    await requireAdmin(ctx, req);
    return ctx.settings.view(ctx.webhookUrl());
  });

  app.put('/api/admin/mango', async (req) => {
    const admin = await requireAdmin(ctx, req);
    const p = parseBody(MangoPatch, req.body);
    if (p.routingMode === 'group' && !(p.groupId ?? (await ctx.settings.get()).groupId)) {
      throw new ApiFail(400, 'bad-request', 'Для режима «группа» выберите группу операторов Манго');
    }
    const before = await ctx.settings.get();
    const after = await ctx.settings.update({ ...p, groupId: p.groupId === undefined ? undefined : p.groupId || null });
    if (after.enabled !== before.enabled || after.routingMode !== before.routingMode) {
      // Live popups open or close at once, and every app rewords «Приём звонков» by the new setup.
      const feed = await ctx.db.tx(async (q) => {
        if (after.enabled !== before.enabled) await redecideOnTelephonySwitch(q, after.enabled);
        return appendToEveryone(q, { kind: 'telephony', telephony: { enabled: after.enabled, routingMode: after.routingMode } }, ctx.hub.instanceId);
      });
      ctx.hub.deliver(feed);
    }
    ctx.log.info({ reqId: req.id, by: admin.id, fields: Object.keys(p).filter((k) => k !== 'apiSalt') }, 'Mango settings updated');
    ctx.mango.statusChanged();
    return ctx.settings.view(ctx.webhookUrl());
  });

  // Without a body: the saved settings. With one: the values typed in the form, not saved.
  app.post('/api/admin/mango/test', async (req) => {
    await requireAdmin(ctx, req);
    return ctx.mango.testConnection(parseBody(MangoTestDraftSchema, req.body ?? {}));
  });

  app.get('/api/admin/mango/webhook-journal', async (req) => {
    await requireAdmin(ctx, req);
    return ctx.journal.view(parseBody(JournalQuery, req.query).hours);
  });

  app.post('/api/admin/mango/import-users', async (req) => {
    await requireAdmin(ctx, req);
    try {
      const r = await ctx.mango.importUsers();
      ctx.mango.statusChanged();
      return r;
    } catch (err) {
      if (err instanceof MangoError) throw new ApiFail(502, `mango-${err.code}`, err.message);
      throw err;
    }
  });
}
