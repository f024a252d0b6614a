// What an endpoint handler returns; api-server.ts turns it into the HTTP response.

export interface Reply {
  status: number;
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Mango result code carried by the body, for the request log and the lockout rule. */
  result?: number;
  /** An error code reply: rendered as HTTP 420 {"code"} in the DOC110 error style. */
  isError?: boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(body: Record<string, unknown>, status = 200): Reply {
  const result = typeof body.result === 'number' ? body.result : undefined;
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE, result };
}

/** Modern behaviour (mango-api.md §1.4): HTTP 200 with {"result": code}. */
export function fail(code: number, extra: Record<string, unknown> = {}): Reply {
  return { ...jsonReply({ result: code, ...extra }), isError: true };
}

export function emptyReply(status: number): Reply {
  return { status };
}

/** DOC110 style: HTTP 420 Method Failure with {"code": N}. */
export function toDoc110Error(reply: Reply): Reply {
  if (!reply.isError || reply.result === undefined) return reply;
  return { status: 420, body: JSON.stringify({ code: reply.result }), contentType: JSON_TYPE, result: reply.result, isError: true };
}
