import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/db';
import type { Logger } from '../log';
import type { EventBatcher } from '../ingest/batcher';
import type { CallReducer } from '../calls/worker';
import type { MangoSettingsStore } from '../mango/settings';
import type { RelayConfig } from '../config';
import type { EmployeeRow } from '../people/employees';
import { checkSession } from '../people/sessions';
import { ApiFail, forbidden } from './errors';
import type { Hub } from '../hub/hub';
import type { MangoServices } from '../mango/services';
import type { Metrics } from '../metrics';
import type { WebhookJournal } from '../ops/webhook-journal';

/** Everything a route needs; built once in relay.ts. */
export interface RelayContext {
  config: RelayConfig;
  db: Db;
  log: Logger;
  batcher: EventBatcher;
  reducer: CallReducer;
  settings: MangoSettingsStore;
  hub: Hub;
  mango: MangoServices;
  metrics: Metrics;
  journal: WebhookJournal;
  webhookUrl(): string;
}

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h || !h.startsWith('Bearer ')) return null;
  return h.slice(7).trim();
}

export async function requireEmployee(ctx: RelayContext, req: FastifyRequest): Promise<EmployeeRow> {
  const s = await checkSession(ctx.db, bearer(req));
  if (!s.ok) {
    throw new ApiFail(401, s.reason, s.reason === 'token-expired' ? 'Сессия истекла, войдите снова' : 'Требуется вход');
  }
  return s.employee;
}

export async function requireAdmin(ctx: RelayContext, req: FastifyRequest): Promise<EmployeeRow> {
  const e = await requireEmployee(ctx, req);
  if (e.role !== 'admin') throw forbidden();
  return e;
}
