import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsgardApi } from '../../src-shared/ipc/contract';

// The renderer picks `window.asgard` at import time: install a fake before importing it.
const calls: { name: string; args: unknown }[] = [];
let respond: (name: string) => Promise<unknown> = async () => null;
const fake: AsgardApi = {
  invoke: ((name: string, args: unknown) => {
    calls.push({ name, args });
    return respond(name);
  }) as AsgardApi['invoke'],
  on: () => () => {},
};

let mod: typeof import('../../src-renderer/api');
beforeAll(async () => {
  (globalThis as { window?: unknown }).window = { asgard: fake };
  mod = await import('../../src-renderer/api');
});
afterAll(() => {
  delete (globalThis as { window?: unknown }).window;
});

describe('call()', () => {
  it('uses window.asgard and passes the arguments through', async () => {
    respond = async () => ({ calls: [] });
    expect(mod.hasShell).toBe(true);
    await expect(mod.call('calls:list', { limit: 5 })).resolves.toEqual({ calls: [] });
    expect(calls.at(-1)).toEqual({ name: 'calls:list', args: { limit: 5 } });
  });

  it('turns a rejected {code, message} into an AppError with the Russian message', async () => {
    respond = async () => Promise.reject({ code: 'invalid-credentials', message: 'Неверный логин или пароль' });
    const err = await mod.call('session:login', { relayUrl: 'http://x', login: 'a', password: 'b' }).catch((e) => e);
    expect(err).toBeInstanceOf(mod.AppError);
    expect(err.code).toBe('invalid-credentials');
    expect(err.message).toBe('Неверный логин или пароль');
  });

  it("strips Electron's remote-method wrapper", async () => {
    respond = async () => Promise.reject(new Error("Error invoking remote method 'calls:callback': Error: Манго отклонил команду: номер недоступен"));
    const err = await mod.call('calls:callback', { toNumber: '+79161234567' }).catch((e) => e);
    expect(err.message).toBe('Манго отклонил команду: номер недоступен');
  });

  it('unwraps IpcResult envelopes both ways', async () => {
    respond = async () => ({ ok: true, value: { url: 'http://127.0.0.1/rec' } });
    await expect(mod.call('calls:recordingUrl', { recordingId: 'r1' })).resolves.toEqual({ url: 'http://127.0.0.1/rec' });
    respond = async () => ({ ok: false, error: { code: 'forbidden', message: 'Недостаточно прав' } });
    await expect(mod.call('admin:mangoGet')).rejects.toMatchObject({ code: 'forbidden', message: 'Недостаточно прав' });
    // A plain result that happens to have ok:true is not an envelope.
    respond = async () => ({ ok: true });
    await expect(mod.call('calls:callback', { toNumber: '+79161234567' })).resolves.toEqual({ ok: true });
  });

  it('an older core/relay that does not know the request: a Russian way forward, never the raw name', async () => {
    respond = async () => ({ ok: false, error: { code: 'unknown-request', message: 'Неизвестный запрос: admin:webhookJournal' } });
    const err = await mod.call('admin:webhookJournal', { hours: 24 }).catch((e) => e);
    expect(err.code).toBe('unknown-request');
    expect(err.message).toBe('Эта функция появится после обновления сервера телефонии. Обратитесь к администратору, чтобы обновить сервер и приложение.');
    expect(err.message).not.toContain('admin:');
  });

  it('never shows an empty or English-free error', async () => {
    respond = async () => Promise.reject(undefined);
    const err = await mod.call('session:state').catch((e) => e);
    expect(err.message).toMatch(/[а-я]/i);
  });
});
