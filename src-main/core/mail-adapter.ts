/**
 * Plugs the mail capability (src-main/core/mail) into the app core: its tables go through the
 * store's namespaced migration runner (namespace 'mail', same schema_version table), its
 * `mail:*` requests and events through the core's one contract, its recent mails into the
 * call popup.
 */
import { createMailService, MAIL_MIGRATIONS, MAIL_NAMESPACE, type MailServiceOptions } from './mail/index';
import type { MailFactory } from './mail-port';

export type MailShellOptions = Pick<MailServiceOptions, 'openExternal' | 'openPath' | 'oauthClients' | 'extraCa' | 'autoStart'>;

export function createMailFactory(shell: MailShellOptions = {}): MailFactory {
  return (ctx) => {
    ctx.store.migrate(
      MAIL_NAMESPACE,
      MAIL_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, up: m.sql })),
    );
    const service = createMailService({
      db: ctx.store.db,
      secretBox: ctx.secretBox,
      dataDir: ctx.userDataDir,
      migrate: false,
      undoSendMs: () => ctx.settings().mailUndoSendSec * 1000,
      ...shell,
    });
    const off = service.onAny((name, payload) => ctx.emit(name, payload as never));
    return {
      handle: (name, args) => service.handle(name, args),
      recentMailsFor: (_call, contact) => {
        if (!contact?.emails.length) return [];
        return service.mailsWithAddress(contact.emails, 3).map((m) => ({
          subject: m.subject,
          date: m.date,
          from: m.from ? m.from.name || m.from.email : '',
        }));
      },
      close: async () => {
        off();
        await service.stop();
      },
    };
  };
}
