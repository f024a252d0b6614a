/**
 * The one IPC wrapper: every request name of the contract gets a handler here that checks the
 * sender (one of our windows, its top frame on app://asgard), parses the arguments with the
 * contract's zod schema (src-main/core/ipc-guard.ts), runs the core and returns an IpcResult.
 * Contract events go to every window through its ready-queue.
 */
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { REQUEST_NAMES } from '../../src-shared/ipc/contract';
import type { IpcResult } from '../../src-shared/ipc/define';
import type { AppCore } from '../core/app-core';
import { guardFailure, guardRequest, checkSender, type SenderInfo } from '../core/ipc-guard';
import { READY_CHANNEL, type WindowRegistry } from './window-registry';

function senderInfo(e: IpcMainInvokeEvent | IpcMainEvent): SenderInfo {
  const frame = e.senderFrame;
  return {
    webContentsId: e.sender.isDestroyed() ? null : e.sender.id,
    frameUrl: frame?.url ?? null,
    isMainFrame: !!frame && frame === e.sender.mainFrame,
  };
}

export function registerIpc(core: AppCore, windows: WindowRegistry): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(name, async (e, args: unknown): Promise<IpcResult<unknown>> => {
      const g = guardRequest(senderInfo(e), windows.roleOf, name, args);
      if (!g.ok) return guardFailure(g);
      return core.handle(g.name, g.args);
    });
  }
  const onReady = (e: IpcMainEvent) => {
    if (checkSender(senderInfo(e), windows.roleOf).ok) windows.markReady(e.sender.id);
  };
  ipcMain.on(READY_CHANNEL, onReady);
  const offEvents = core.onAny((event, payload) => windows.broadcast(event, payload));
  return () => {
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(name);
    ipcMain.off(READY_CHANNEL, onReady);
    offEvents();
  };
}
