import { expect } from 'vitest';
import { postSigned } from '../support/webhook';

export const LINE = '74951234567';

/** Calls on the company line as the e2e specs post them to the relay, signed as Mango does. */
export class CompanyLine {
  private seq = 0;
  private readonly t0 = Math.floor(Date.now() / 1000) - 600;

  constructor(private readonly webhookBase: () => string) {}

  /** One leg of a call sitting in the IVR on the company line (mango-api.md §2.3). */
  ivrEvent(entry: string, caller: string, state: 'Appeared' | 'Disconnected', s: number) {
    return {
      entry_id: entry,
      call_id: `${entry}-ivr`,
      timestamp: this.t0 + ++this.seq,
      seq: s,
      call_state: state,
      location: 'ivr',
      from: { number: caller },
      to: { number: LINE, line_number: LINE },
      dct: { type: 0 },
      ...(state === 'Disconnected' ? { disconnect_reason: 1100 } : {}),
    };
  }

  /** The leg ringing (or hanging up on) an employee's extension, after the IVR (mango-api.md §2.3). */
  ringEvent(entry: string, caller: string, extension: string, state: 'Appeared' | 'Disconnected', s: number) {
    return {
      entry_id: entry,
      call_id: `${entry}-${extension}`,
      timestamp: this.t0 + ++this.seq,
      seq: s,
      call_state: state,
      location: 'abonent',
      from: { number: caller },
      to: { extension, number: `sip:${extension}@vpbx.mangosip.ru`, line_number: LINE },
      dct: { type: 0 },
      ...(state === 'Disconnected' ? { disconnect_reason: 1110 } : {}),
    };
  }

  async post(body: object): Promise<void> {
    const res = await postSigned(this.webhookBase(), 'events/call', body);
    expect(res.status, `relay answered ${res.status} ${res.body}`).toBe(200);
  }

  /** A start time after every event so far, `gap` seconds of room reserved. */
  nextStart(gap: number): number {
    return this.t0 + (this.seq += gap);
  }
}
