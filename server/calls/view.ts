import type { Call } from '../../src-shared/wire';
import type { ReducedCall } from './reduce';

const iso = (unix: number | null) => (unix == null || unix === 0 ? null : new Date(unix * 1000).toISOString());

/** The wire form of a call record (what the API and the feed send). */
export function toCallView(id: number, c: ReducedCall, employee: { id: number; name: string; extension: string | null } | null): Call {
  return {
    id,
    entryId: c.entryId,
    direction: c.direction,
    from: { number: c.fromNumber, extension: c.fromExtension },
    to: { number: c.toNumber, extension: c.toExtension, line: c.lineNumber },
    clientNumber: c.clientNumber,
    employee,
    status: c.status,
    phase: c.phase,
    ringingExtensions: c.ringing.map((r) => r.extension),
    startedAt: iso(c.startedAt) ?? new Date(0).toISOString(),
    answeredAt: iso(c.answeredAt),
    endedAt: iso(c.endedAt),
    talkSeconds: c.talkSeconds,
    waitSeconds: c.waitSeconds,
    disconnectReason: c.disconnectReason,
    recordings: c.recordings,
    reconciled: c.reconciled,
  };
}
