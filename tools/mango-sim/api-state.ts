// Mutable state of the fake Mango account; tests read and change it directly.
import { DEFAULT_LINE_NUMBER, DEFAULT_PRODUCT_ID, defaultGroups, defaultUsers, type SimGroup, type SimUser } from './directory';
import type { CallRecord } from './types';

export type { SimGroup, SimUser } from './directory';

/** How calls started by API commands unfold. */
export interface CallFlowSettings {
  /** The rung employee/target answers (callback: the employee; route/transfer: the target). */
  answer: boolean;
  /** commands/callback: the client answers the second leg. */
  clientAnswers: boolean;
  ringSeconds: number;
  talkSeconds: number;
  /** End the call after talkSeconds; false leaves it Connected until hangup/endCall. */
  autoHangup: boolean;
  /** Start a recording automatically when a call connects (PBX auto-recording). */
  record: boolean;
}

export interface RecordingInfo {
  recording_id: string;
  entry_id?: string;
  call_id?: string;
  extension?: string;
}

export interface MangoState {
  productId: number;
  lineNumber: string;
  balance: number;
  currency: string;
  users: SimUser[];
  groups: SimGroup[];
  /** Every call the simulator generated plus any a test added: the stats/result rows. */
  calls: CallRecord[];
  recordings: Map<string, RecordingInfo>;
  callFlow: CallFlowSettings;
  /** How many stats/result polls answer 204 before the CSV is ready. */
  statsPendingPolls: number;
}

export function createState(overrides: Partial<MangoState> = {}): MangoState {
  return {
    productId: DEFAULT_PRODUCT_ID,
    lineNumber: DEFAULT_LINE_NUMBER,
    balance: 963592.45,
    currency: 'RUB',
    users: defaultUsers(),
    groups: defaultGroups(),
    calls: [],
    recordings: new Map(),
    callFlow: { answer: true, clientAnswers: true, ringSeconds: 3, talkSeconds: 30, autoHangup: true, record: false },
    statsPendingPolls: 1,
    ...overrides,
  };
}

/** Registers a finished call and its recordings so stats and downloads can find them. */
export function addCallRecord(state: MangoState, record: CallRecord): void {
  state.calls.push(record);
  for (const id of record.records) {
    if (!state.recordings.has(id)) state.recordings.set(id, { recording_id: id, entry_id: record.entry_id });
  }
}
