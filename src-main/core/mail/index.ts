/**
 * The mail capability (src-main/core/mail): IMAP/SMTP accounts with presets and OAuth2, sync
 * into SQLite with FTS5, compose/outbox/drafts, connection checks with Russian errors.
 *
 * The app core builds it with `createMailService({db, secretBox, dataDir})` and delegates every
 * `mail:*` request to `service.handle(name, args)`; `service.onAny()` streams `mail:*` events.
 */
export { createMailService } from './service';
export type { MailService, MailServiceOptions, MailRequestName, MailEventName, MailArgs, MailResult, MailPayload } from './service';
export type { SecretBox } from './accounts';
export { MAIL_MIGRATIONS, MAIL_NAMESPACE, migrateMail, type MailMigration } from './schema';
export { MailError, describeMailError } from './errors-ru';
export { PRESETS } from './presets';
