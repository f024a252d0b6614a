// Mango result codes the simulator answers with (mango-api.md §7).

export const RESULT = {
  ok: 1000,
  normalEnd: 1100,
  callerHangup: 1110,
  noAnswer: 1111,
  calleeHangup: 1120,
  busy: 1121,
  rejected: 1122,
  allOperatorsUnavailable: 1164,
  externalHangup: 1181,
  interceptedByOther: 1182,
  newOperatorAssigned: 1183,
  badRequest: 3000,
  badParams: 3100,
  notPost: 3101,
  badSign: 3102,
  missingParam: 3103,
  badFormat: 3104,
  badKey: 3105,
  notFound: 3300,
  callNotFound: 3310,
  recordingNotFound: 3320,
  numberNotFound: 3330,
  invalidJson: 3400,
  notSupported: 4001,
  impossible: 4100,
  callEnded: 4101,
  alreadyRecording: 4102,
} as const;

/** Exact 429 body from NEWDOC-KB §1.4.2 (note: no "result" field). */
export const RATE_LIMIT_BODY = { name: 'Service Unavailable', message: 'Rate limit exceeded.', code: 0, status: 429 };

export const isBadRequestCode = (code: number) => code >= 3000 && code < 4000;
