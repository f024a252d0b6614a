/** Errors the core returns across IPC: a stable code plus a Russian message for the user. */
import type { ZodError } from 'zod';
import { RelayError } from './relay/errors';

export class CoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export function badRequest(name: string, err: ZodError): CoreError {
  const details = err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(аргумент)'}: ${i.message}`)
    .join('; ');
  return new CoreError('bad-request', `Неверные параметры запроса ${name}: ${details}`);
}

/** The `{code, message}` half of an IpcResult, for any thrown value. */
export function toIpcError(e: unknown): { code: string; message: string } {
  if (e instanceof CoreError || e instanceof RelayError) return { code: e.code, message: e.message };
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && e instanceof Error && /[а-яё]/i.test(e.message)) return { code, message: e.message };
  return { code: 'internal', message: 'Внутренняя ошибка приложения' };
}
