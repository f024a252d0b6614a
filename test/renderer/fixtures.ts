import type { Call, Contact, FeedItem } from '../../src-shared/wire';

let seq = 1000;

export function makeCall(p: Partial<Call> & { id: number }): Call {
  return {
    entryId: 'e' + p.id,
    direction: 'in',
    from: { number: '+79161234567', extension: null },
    to: { number: '+74951112233', extension: null, line: '+74951112233' },
    clientNumber: '+79161234567',
    employee: { id: 1, name: 'Иванов Иван', extension: '101' },
    status: 'answered',
    phase: 'ended',
    ringingExtensions: [],
    startedAt: new Date(Date.UTC(2025, 2, 5, 10, 0, 0) + p.id * 60_000).toISOString(),
    answeredAt: null,
    endedAt: null,
    talkSeconds: 65,
    waitSeconds: 5,
    disconnectReason: null,
    recordings: [],
    reconciled: false,
    ...p,
  };
}

export function makeContact(p: Partial<Contact> & { id: number }): Contact {
  return {
    name: 'Петров Пётр',
    company: 'ООО Ромашка',
    phones: ['+79161234567'],
    emails: [],
    note: '',
    createdAt: '2025-03-01T10:00:00.000Z',
    updatedAt: '2025-03-01T10:00:00.000Z',
    ...p,
  };
}

export function callItem(call: Call, opts: { id?: number; contact?: Contact | null; popup?: boolean } = {}): FeedItem {
  return {
    id: opts.id ?? ++seq,
    at: new Date().toISOString(),
    payload: { kind: 'call', call, popup: opts.popup ?? false, contact: opts.contact ?? null, recentCalls: [] },
  };
}
