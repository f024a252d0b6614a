/**
 * The app's own part of the IPC contract: its settings on this computer, "о программе", and
 * the update channel. Plain data only; nothing here is secret (the relay token lives in the
 * core's SecretBox and never appears in settings).
 */
import { z } from 'zod';
import { event, request } from './define';

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export const POPUP_POSITIONS = ['bottom-right', 'top-right', 'bottom-left', 'top-left'] as const;
export const PopupPositionSchema = z.enum(POPUP_POSITIONS);
export type PopupPosition = z.infer<typeof PopupPositionSchema>;
export const PopupWhenSchema = z.enum(['ring', 'answer', 'never']);
export type PopupWhen = z.infer<typeof PopupWhenSchema>;
/** Longest "hide after N seconds" the settings page offers (10 minutes). */
export const MAX_POPUP_DURATION_SEC = 600;

/** Field schemas without defaults: shared by the stored settings and by patches. */
const popupFields = {
  /** Pop when it rings, when I answer, or never (notifications only via history). */
  when: PopupWhenSchema,
  /** Caller IDs with fewer digits are internal calls and do not pop (0 = pop for all). */
  minDigits: z.number().int().min(0).max(15),
  /** Which screen: the one with the mouse cursor, or the primary one. */
  display: z.enum(['cursor', 'primary']),
  /** Also show a native notification with each popup. */
  notification: z.boolean(),
  /** The screen corner the popup stack sits in. */
  position: PopupPositionSchema,
  /** Seconds a popup stays before it hides by itself; 0 = until the call ends or I close it. */
  durationSec: z.number().int().min(0).max(MAX_POPUP_DURATION_SEC),
  /** A short ring tone when a popup opens for a ringing call. */
  sound: z.boolean(),
};

export const PopupOptionsSchema = z.object({
  when: popupFields.when.default('ring'),
  minDigits: popupFields.minDigits.default(5),
  display: popupFields.display.default('cursor'),
  notification: popupFields.notification.default(true),
  position: popupFields.position.default('bottom-right'),
  durationSec: popupFields.durationSec.default(0),
  sound: popupFields.sound.default(true),
});
export type PopupOptions = z.infer<typeof PopupOptionsSchema>;

/** The «Отмена отправки» choices, in seconds (0 = off). */
export const MAIL_UNDO_SEND_CHOICES = [0, 5, 10, 20, 30] as const;
const MailUndoSendSecSchema = z.literal(MAIL_UNDO_SEND_CHOICES);

export const SettingsSchema = z.object({
  /** The relay this app logs in to (set by login; changing it here ends the session). */
  relayUrl: z.string().max(500).default(''),
  login: z.string().max(100).default(''),
  popup: PopupOptionsSchema.default(PopupOptionsSchema.parse({})),
  startAtLogin: z.boolean().default(false),
  /** A desktop notification when new mail arrives in an inbox (src-shared/mail-notice.ts). */
  mailNotifications: z.boolean().default(true),
  /** «Отмена отправки»: seconds a sent mail waits in the outbox, cancellable (0 = sent at once). */
  mailUndoSendSec: MailUndoSendSecSchema.default(5),
  /** electron-updater generic feed (https, or http on loopback only); '' = updates off. */
  updateUrl: z.string().max(500).default(''),
  /** The UI is Russian only; kept so a later translation has a place to go. */
  language: z.literal('ru').default('ru'),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** What `settings:update` accepts: any subset, popup fields one by one; unknown keys refused. */
export const SettingsPatchSchema = z
  .object({
    relayUrl: z.string().max(500).optional(),
    startAtLogin: z.boolean().optional(),
    mailNotifications: z.boolean().optional(),
    mailUndoSendSec: MailUndoSendSecSchema.optional(),
    updateUrl: z.string().max(500).optional(),
    language: z.literal('ru').optional(),
    popup: z
      .object({
        when: popupFields.when.optional(),
        minDigits: popupFields.minDigits.optional(),
        display: popupFields.display.optional(),
        notification: popupFields.notification.optional(),
        position: popupFields.position.optional(),
        durationSec: popupFields.durationSec.optional(),
        sound: popupFields.sound.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SettingsPatch = z.input<typeof SettingsPatchSchema>;

/** `settings:update`'s answer: the settings now, and whether the change ended the session. */
export interface SettingsUpdateResult {
  settings: Settings;
  /** The relay address changed while logged in: the user must log in on the new relay. */
  loggedOut: boolean;
}

// ---------------------------------------------------------------------------------------------
// About
// ---------------------------------------------------------------------------------------------

export interface AboutInfo {
  name: string;
  /** The app's version (package.json). */
  version: string;
  /** Which shell serves this UI: the Electron app, or the browser bridge (no Electron at all). */
  shell: 'electron' | 'browser';
  /** null under the browser bridge: there is no Electron there. */
  electron: string | null;
  /** Electron's Chromium; null under the bridge (the renderer knows its own browser). */
  chromium: string | null;
  node: string;
  /** e.g. "Windows 10.0.19045 (x64)". */
  os: string;
  /** The relay's version when it reports one (GET /healthz `version`), else null. */
  relayVersion: string | null;
  /** ISO date of the build this code came from, null when unknown (run from source). */
  buildDate: string | null;
}

// ---------------------------------------------------------------------------------------------
// Updates
// ---------------------------------------------------------------------------------------------

export type UpdateState =
  /** No updater here (browser bridge, or a development run of Electron). */
  | { state: 'unsupported'; reason: string }
  /** No update server set in the settings. */
  | { state: 'disabled' }
  | { state: 'idle'; lastCheckedAt: string | null }
  | { state: 'checking' }
  | { state: 'up-to-date'; checkedAt: string }
  | { state: 'available'; version: string }
  | { state: 'downloading'; version: string; percent: number }
  | { state: 'downloaded'; version: string }
  | { state: 'error'; message: string; at: string };

// ---------------------------------------------------------------------------------------------
// Attention: what waits for the user (sidebar badges, window title, tray, taskbar)
// ---------------------------------------------------------------------------------------------

export interface Attention {
  /**
   * Callers (numbers) with missed calls not yet called back nor dismissed: the rows of the
   * «Перезвонить» list, which shows each caller once (src-shared/missed.ts says why callers).
   */
  missedCalls: number;
  /** Unread messages in the inboxes of every mail account. */
  unreadMail: number;
}

export const appRequests = {
  'settings:get': request<Settings>()(z.undefined()),
  'settings:update': request<SettingsUpdateResult>()(SettingsPatchSchema),
  'app:about': request<AboutInfo>()(z.undefined()),
  'app:attention': request<Attention>()(z.undefined()),
  'update:state': request<UpdateState>()(z.undefined()),
  /** Checks now (the button); resolves with the state after the check started. */
  'update:check': request<UpdateState>()(z.undefined()),
  /** Quits and installs a downloaded update ("Перезапустить и обновить"). */
  'update:install': request<void>()(z.undefined()),
};

export const appEvents = {
  /** The settings changed (this window, another one, or the tray). */
  settings: event<Settings>(),
  update: event<UpdateState>(),
  /** The missed-call or unread-mail count changed. */
  attention: event<Attention>(),
};
