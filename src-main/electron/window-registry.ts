/**
 * The windows we created, by webContents id, with their role and their event queue: the only
 * senders the IPC wrapper answers, and the only receivers of contract events.
 */
import type { BrowserWindow } from 'electron';
import { ReadyQueue, type WindowRole } from '../core/ipc-guard';

export const EVENT_CHANNEL = 'asgard:event';
export const READY_CHANNEL = 'asgard:ready';

interface Entry {
  win: BrowserWindow;
  role: WindowRole;
  queue: ReadyQueue;
}

export class WindowRegistry {
  private readonly byId = new Map<number, Entry>();

  add(win: BrowserWindow, role: WindowRole): void {
    const wc = win.webContents;
    const id = wc.id;
    const queue = new ReadyQueue((event, payload) => {
      if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, event, payload);
    });
    this.byId.set(id, { win, role, queue });
    // A reload starts a new page: hold events until it subscribes again.
    wc.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) queue.reset();
    });
    wc.once('destroyed', () => this.byId.delete(id));
  }

  roleOf = (webContentsId: number): WindowRole | null => this.byId.get(webContentsId)?.role ?? null;

  markReady(webContentsId: number): void {
    this.byId.get(webContentsId)?.queue.markReady();
  }

  broadcast(event: string, payload: unknown): void {
    for (const e of this.byId.values()) e.queue.push(event, payload);
  }
}
