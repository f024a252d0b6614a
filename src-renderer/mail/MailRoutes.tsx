/**
 * Placeholder for the mail UI. The mail engineer owns src-renderer/mail/ and replaces this
 * file; the shell renders <MailRoutes path="/mail/..."/> for every `#/mail…` route.
 */
export function MailRoutes({ path }: { path: string }) {
  return (
    <div className="page">
      <h1>Почта</h1>
      <p className="muted" data-path={path}>
        Почта скоро появится здесь.
      </p>
    </div>
  );
}
