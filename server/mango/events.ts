/**
 * Tolerant parsing of Mango's callbacks (mango-api.md §2): numbers arrive as numbers or
 * strings, optional objects may be missing, `was_transfered` has two spellings. Each parser
 * returns a normalized event or throws a `BadEvent` naming the field.
 */
import { z } from 'zod';

export class BadEvent extends Error {}

const num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform((v) => Number(v));
const str = z.union([z.string(), z.number()]).transform((v) => String(v));
const id = z.union([z.string().min(1).max(256), z.number()]).transform((v) => String(v));
const bool = z.union([z.boolean(), z.number(), z.string()]).transform((v) => v === true || v === 1 || v === '1' || v === 'true');

const party = z
  .object({
    extension: str.nullish(),
    number: str.nullish(),
    line_number: str.nullish(),
    acd_group: str.nullish(),
    taken_from_call_id: str.nullish(),
    was_transfered: bool.nullish(),
    was_transferred: bool.nullish(),
  })
  .passthrough()
  .transform((p) => ({
    extension: p.extension || null,
    number: p.number || null,
    lineNumber: p.line_number || null,
    acdGroup: p.acd_group || null,
    takenFromCallId: p.taken_from_call_id || null,
    wasTransferred: !!(p.was_transfered ?? p.was_transferred),
  }));
export type Party = z.output<typeof party>;
const emptyParty = party.parse({});

export const CallEventSchema = z.object({
  entry_id: id,
  call_id: id,
  timestamp: num,
  seq: num,
  call_state: z.enum(['Appeared', 'Connected', 'OnHold', 'Disconnected']),
  location: z.string().max(64).nullish(),
  from: party.nullish(),
  to: party.nullish(),
  disconnect_reason: num.nullish(),
  command_id: str.nullish(),
  callback_initiator: str.nullish(),
  transfer: str.nullish(),
});
export type CallEvent = ReturnType<typeof parseCallEvent>;
export function parseCallEvent(x: unknown) {
  const e = parse(CallEventSchema, x);
  return { ...e, from: e.from ?? emptyParty, to: e.to ?? emptyParty, location: e.location ?? 'abonent' };
}

export const SummarySchema = z.object({
  entry_id: id,
  call_direction: num,
  from: party.nullish(),
  to: party.nullish(),
  line_number: str.nullish(),
  create_time: num,
  forward_time: num.nullish(),
  talk_time: num.nullish(),
  end_time: num,
  entry_result: num.nullish(),
  disconnect_reason: num.nullish(),
});
export type Summary = ReturnType<typeof parseSummary>;
export function parseSummary(x: unknown) {
  const e = parse(SummarySchema, x);
  return { ...e, from: e.from ?? emptyParty, to: e.to ?? emptyParty };
}

export const RecordingSchema = z.object({
  recording_id: id,
  recording_state: z.enum(['Started', 'Continued', 'Completed']),
  seq: num.nullish(),
  entry_id: id,
  call_id: str.nullish(),
  extension: str.nullish(),
  timestamp: num.nullish(),
  completion_code: num.nullish(),
  recipient: str.nullish(),
});
export type RecordingEvent = z.output<typeof RecordingSchema>;
export const parseRecording = (x: unknown) => parse(RecordingSchema, x);

export const RecordAddedSchema = z.object({
  entry_id: id,
  recording_id: id,
  timestamp: num.nullish(),
  user_id: num.nullish(),
  product_id: num.nullish(),
});
export const parseRecordAdded = (x: unknown) => parse(RecordAddedSchema, x);

export const DtmfSchema = z.object({ entry_id: id, call_id: id, seq: num, dtmf: str, timestamp: num.nullish() }).passthrough();
export const SmsSchema = z.object({ command_id: str, timestamp: num.nullish(), reason: num.nullish() }).passthrough();
export const ResultSchema = z.object({ command_id: str.nullish(), result: num.nullish(), key: str.nullish() }).passthrough();

/** The customer guide's simplified events at POST /api/mango-webhook. */
export const SimpleEventSchema = z.object({
  event: z.enum(['call.incoming', 'call.answered', 'call.ended']),
  call_id: id,
  timestamp: num.nullish(),
  from: z.object({ number: str.nullish(), extension: str.nullish() }).passthrough().nullish(),
  to: z.object({ number: str.nullish(), extension: str.nullish(), line_number: str.nullish() }).passthrough().nullish(),
  duration: num.nullish(),
  direction: z.enum(['in', 'out', 'incoming', 'outgoing']).nullish(),
});
export type SimpleEvent = z.output<typeof SimpleEventSchema>;

function parse<S extends z.ZodType>(schema: S, x: unknown): z.output<S> {
  const r = schema.safeParse(x);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new BadEvent(`${issue.path.join('.') || 'json'}: ${issue.message}`);
  }
  return r.data;
}

export const EVENT_KINDS = ['call', 'summary', 'recording', 'record/added', 'record/tagged', 'dtmf', 'sms'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Validates a callback's payload and returns its idempotency key and entry id (mango-api.md §2.1). */
export function classify(path: string, payload: unknown): { idemKey: string; entryId: string | null; reducible: boolean } {
  switch (path) {
    case 'events/call': {
      const e = parseCallEvent(payload);
      return { idemKey: `call:${e.call_id}:${e.seq}:${e.call_state}`, entryId: e.entry_id, reducible: true };
    }
    case 'events/summary': {
      const e = parseSummary(payload);
      return { idemKey: `summary:${e.entry_id}`, entryId: e.entry_id, reducible: true };
    }
    case 'events/recording': {
      const e = parseRecording(payload);
      return { idemKey: `recording:${e.recording_id}:${e.recording_state}:${e.seq ?? ''}`, entryId: e.entry_id, reducible: true };
    }
    case 'events/record/added':
    case 'events/record/tagged': {
      const e = parseRecordAdded(payload);
      return { idemKey: `${path.slice(7)}:${e.recording_id}`, entryId: e.entry_id, reducible: true };
    }
    case 'events/dtmf': {
      const e = parse(DtmfSchema, payload);
      return { idemKey: `dtmf:${e.call_id}:${e.seq}`, entryId: e.entry_id, reducible: false };
    }
    case 'events/sms': {
      const e = parse(SmsSchema, payload);
      return { idemKey: `sms:${e.command_id}:${e.reason ?? ''}:${e.timestamp ?? ''}`, entryId: null, reducible: false };
    }
    case 'simple': {
      const e = parse(SimpleEventSchema, payload);
      return { idemKey: `simple:${e.call_id}:${e.event}`, entryId: `simple:${e.call_id}`, reducible: true };
    }
    default: {
      if (path.startsWith('result/')) {
        const e = parse(ResultSchema, payload);
        return { idemKey: `${path}:${e.command_id ?? e.key ?? ''}:${e.result ?? ''}`, entryId: null, reducible: false };
      }
      throw new BadEvent(`unknown callback path ${path}`);
    }
  }
}
