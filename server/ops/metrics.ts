import type { Db } from '../db/db';
import type { Metrics } from '../metrics';
import type { TlsReloader } from './tls';

const KNOWN_KINDS = new Set(['events/call', 'events/summary', 'events/recording', 'events/record', 'events/dtmf', 'events/sms', 'result', 'ping', 'simple']);

/**
 * The callback kind of a Mango webhook URL, bounded to a fixed set so that unauthenticated
 * callers cannot invent label values.
 */
export function webhookKind(path: string): string {
  const rest = path.split('?')[0].replace(/^\/api\/mango-webhook\/?/, '');
  if (rest === '') return 'simple';
  const parts = rest.split('/');
  const k = parts[0] === 'result' ? 'result' : parts.slice(0, 2).join('/');
  return KNOWN_KINDS.has(k) ? k : 'other';
}

const REASONS: Record<number, string> = { 400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 413: 'too-large', 415: 'bad-content-type' };

/** Counters the operations layer adds to server/metrics.ts (which counts stored/duplicate/failed). */
export class OpsMetrics {
  /** Webhooks answered 4xx before anything was stored, by kind and reason. */
  private refused = new Map<string, number>();
  requestsInFlight = 0;
  readonly startedAt = Date.now();

  refuse(kind: string, reason: string) {
    const k = `${kind}|${reason}`;
    this.refused.set(k, (this.refused.get(k) ?? 0) + 1);
  }

  refuseStatus(kind: string, status: number) {
    this.refuse(kind, REASONS[status] ?? `http-${status}`);
  }

  render(tls: TlsReloader | null): string[] {
    const lines = [
      '# HELP asgard_webhooks_refused_total Mango callbacks refused before storing (source not allowed, bad signature, malformed, too large).',
      '# TYPE asgard_webhooks_refused_total counter',
    ];
    for (const [k, v] of this.refused) {
      const [kind, reason] = k.split('|');
      lines.push(`asgard_webhooks_refused_total{kind="${kind}",reason="${reason}"} ${v}`);
    }
    lines.push('# TYPE asgard_http_requests_in_flight gauge', `asgard_http_requests_in_flight ${this.requestsInFlight}`);
    lines.push('# TYPE process_start_time_seconds gauge', `process_start_time_seconds ${Math.floor(this.startedAt / 1000)}`);
    lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    if (tls) {
      lines.push(
        '# HELP asgard_tls_certificate_expiry_timestamp_seconds notAfter of the certificate being served.',
        '# TYPE asgard_tls_certificate_expiry_timestamp_seconds gauge',
        `asgard_tls_certificate_expiry_timestamp_seconds ${Math.floor(tls.notAfter.getTime() / 1000)}`,
        '# TYPE asgard_tls_reloads_total counter',
        `asgard_tls_reloads_total{result="ok"} ${tls.reloads.ok}`,
        `asgard_tls_reloads_total{result="failed"} ${tls.reloads.failed}`,
      );
    }
    return lines;
  }
}

/**
 * The whole /metrics page: events by kind and outcome, ingest latency, connected apps and Mango
 * API errors (server/metrics.ts), feed lag (events committed but not yet turned into calls and
 * feed items: how many, and the age of the oldest), refusals, TLS certificate expiry.
 */
export async function renderMetrics(db: Db, metrics: Metrics, ops: OpsMetrics, tls: TlsReloader | null): Promise<string> {
  let unreduced = -1;
  let oldestAge = -1;
  try {
    const r = await db.query<{ n: number; age: number | string | null }>(
      'SELECT count(*)::int AS n, EXTRACT(EPOCH FROM now() - min(m.received_at))::float8 AS age FROM reduce_queue r JOIN mango_events m ON m.id = r.event_id',
    );
    unreduced = Number(r.rows[0]?.n ?? 0);
    oldestAge = r.rows[0]?.age == null ? 0 : Math.max(0, Number(r.rows[0].age));
  } catch {
    /* database down: -1 says "unknown"; /healthz reports the outage */
  }
  const core = metrics.render({ asgard_unreduced_events: unreduced, asgard_oldest_unreduced_event_age_seconds: Math.round(oldestAge * 1000) / 1000 });
  return core + ops.render(tls).join('\n') + '\n';
}
