// Shapes shared by the scenario generator, the delivery code and the fake API.

export type CallState = 'Appeared' | 'Connected' | 'OnHold' | 'Disconnected';
export type CallLocation = 'ivr' | 'queue' | 'abonent';
export type TransferKind = 'consultative' | 'blind' | 'return_blind';
export type TypeVariant = 'numbers' | 'strings';
export type TransferSpelling = 'was_transfered' | 'was_transferred';

/** from/to of an events/call leg (mango-api.md §2.3). */
export interface Party {
  extension?: string;
  number?: string;
  taken_from_call_id?: string;
  line_number?: string;
  acd_group?: string;
}

export type EventPath =
  | 'events/call'
  | 'events/summary'
  | 'events/recording'
  | 'events/record/added'
  | 'events/dtmf'
  | 'events/sms'
  | 'ping'
  | `result/${string}`;

/** One webhook Mango would POST: path under the receiver's base URL + the JSON object. */
export interface SimEvent {
  path: EventPath;
  payload: Record<string, unknown>;
}

/** One row of basic statistics (stats/result CSV), one per entry_id. */
export interface CallRecord {
  entry_id: string;
  records: string[];
  start: number;
  finish: number;
  answer: number;
  from_extension: string;
  from_number: string;
  to_extension: string;
  to_number: string;
  disconnect_reason: number;
  line_number: string;
  location: string;
  create?: number;
}
