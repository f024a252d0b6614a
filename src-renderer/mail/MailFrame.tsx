/**
 * Shows sanitized mail HTML in its own sandboxed frame: no scripts, no same-origin access, no
 * forms, its own CSP (data: images only), links open outside the app (the shell decides).
 */
import { mailSrcdoc } from './sanitize';

export function MailFrame({ html, title }: { html: string; title: string }) {
  return (
    <iframe
      className="mail-frame"
      title={title}
      sandbox="allow-popups allow-popups-to-escape-sandbox"
      referrerPolicy="no-referrer"
      srcDoc={mailSrcdoc(html)}
      data-testid="mail-frame"
    />
  );
}
