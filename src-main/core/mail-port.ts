/**
 * How the app core hands mail to the mail capability (src-main/core/mail). The core validates
 * every `mail:*` request against the IPC contract, then calls `handle` with the parsed
 * arguments; the mail capability emits its own contract events through `emit`.
 */
import type { EventName, PayloadOf } from '../../src-shared/ipc/contract';
import type { Call, Contact } from '../../src-shared/wire';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import type { Settings } from '../../src-shared/ipc/app';
import type { SecretBox } from './secrets/secret-box';
import type { Store } from './store/store';
import type { Logger } from './log';

export interface MailContext {
  /** The shared SQLite file: run your tables through `store.migrate('mail', [...])`. */
  store: Store;
  secretBox: SecretBox;
  userDataDir: string;
  emit<E extends EventName>(event: E, payload: PayloadOf<E>): void;
  log: Logger;
  /** The app's settings now (read on each use: the user may change them at any time). */
  settings(): Settings;
}

export interface MailHandler {
  /** `name` starts with 'mail:'; `args` already passed the contract's zod schema. */
  handle(name: string, args: unknown): Promise<unknown>;
  /** Last mails with a caller, for the call popup (sync: it is read from SQLite). */
  recentMailsFor?(call: Call, contact: Contact | null): CallPopup['recentMails'];
  close?(): void | Promise<void>;
}

export type MailFactory = (ctx: MailContext) => MailHandler | Promise<MailHandler>;
