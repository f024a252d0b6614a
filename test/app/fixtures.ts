/** Wire objects for app tests. */
import type { Call, Employee } from '../../src-shared/wire';

export function makeCall(id: number, over: Partial<Call> = {}): Call {
  return {
    id,
    entryId: `entry-${id}`,
    direction: 'in',
    from: { number: '+79161234567', extension: null },
    to: { number: '+74950000000', extension: null, line: '+74950000000' },
    clientNumber: '+79161234567',
    employee: null,
    status: 'active',
    phase: 'ringing',
    ringingExtensions: ['101'],
    startedAt: new Date(Date.UTC(2025, 0, 1, 10, 0, id)).toISOString(),
    answeredAt: null,
    endedAt: null,
    talkSeconds: 0,
    waitSeconds: 0,
    disconnectReason: null,
    recordings: [],
    reconciled: false,
    ...over,
  };
}

export function makeEmployee(id: number, over: Partial<Employee> = {}): Employee {
  return {
    id,
    login: `user${id}`,
    name: `Сотрудник ${id}`,
    role: 'to',
    extension: String(100 + id),
    mangoUserId: null,
    email: null,
    phones: [],
    active: true,
    acceptCalls: true,
    acceptCallsManual: false,
    ...over,
  };
}
