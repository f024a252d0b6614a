/**
 * The app without Electron: the core (key-file SecretBox) plus the bridge serving the
 * renderer on 127.0.0.1. Used by `npm start` where Electron's binary is missing, and by e2e.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createAppCore, type AppCore, type AppCoreOptions } from '../core/app-core';
import { KeyFileSecretBox } from '../core/secrets/key-file-secret-box';
import { createMailFactory } from '../core/mail-adapter';
import { safeExternalUrl } from '../core/external-url';
import { startBridge, type Bridge } from './bridge-server';

export interface BrowserAppOptions extends Partial<Pick<AppCoreOptions, 'relayUrl' | 'log' | 'feed'>> {
  userDataDir: string;
  rendererDir: string;
  port?: number;
  /** Mail is on by default (`createMailFactory()`); pass null to run without it. */
  mailFactory?: AppCoreOptions['mailFactory'] | null;
}

export interface BrowserApp {
  core: AppCore;
  bridge: Bridge;
  close(): Promise<void>;
}

export async function startBrowserApp(o: BrowserAppOptions): Promise<BrowserApp> {
  const core = await createAppCore({
    userDataDir: o.userDataDir,
    secretBox: new KeyFileSecretBox(o.userDataDir),
    relayUrl: o.relayUrl,
    mailFactory: o.mailFactory === null ? undefined : (o.mailFactory ?? createMailFactory({ openExternal: openExternalSafely })),
    log: o.log,
    feed: o.feed,
  });
  let bridge: Bridge;
  try {
    bridge = await startBridge({ core, rendererDir: path.resolve(o.rendererDir), port: o.port, log: o.log });
  } catch (e) {
    await core.close();
    throw e;
  }
  return {
    core,
    bridge,
    close: async () => {
      await bridge.close();
      await core.close();
    },
  };
}

/** OAuth pages and links leave the app only as parsed http(s)/mailto/tel URLs. */
function openExternalSafely(raw: string): void {
  const url = safeExternalUrl(raw);
  if (url) openInBrowser(url);
}

/** Opens `url` in the desktop's browser; false when there is no way to (headless server). */
export function openInBrowser(url: string): boolean {
  if (!/^https?:\/\//i.test(url)) return false;
  const [cmd, args] =
    process.platform === 'win32'
      ? // Not `cmd /c start`: cmd would read |, ^, % and & in the URL as its own syntax.
        ['rundll32', ['url.dll,FileProtocolHandler', url]]
      : process.platform === 'darwin'
        ? ['open', [url]]
        : ['xdg-open', [url]];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
