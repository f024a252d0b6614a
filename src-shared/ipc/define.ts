import type { z } from 'zod';

/** One request channel: a zod schema for its argument, a phantom type for its result. */
export interface RequestDef<A extends z.ZodType, R> {
  args: A;
  /** Never read at run time; carries the result type. */
  result?: R;
}

/** `request<Result>()(argsSchema)`: curried so the schema type is inferred and only the result is spelled. */
export function request<R>() {
  return <A extends z.ZodType>(args: A): RequestDef<A, R> => ({ args });
}

/** One main→renderer event stream: a phantom payload type. */
export interface EventDef<P> {
  payload?: P;
}

export function event<P>(): EventDef<P> {
  return {};
}

/** What crosses IPC for every request: errors keep their code and Russian message. */
export type IpcResult<R> = { ok: true; value: R } | { ok: false; error: { code: string; message: string } };
