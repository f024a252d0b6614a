/** «Переместить в папку…»: a select of an account's folders, nested ones indented; where «Спам» files mail. */
import type { MailFolderView } from '../../src-shared/ipc/mail';
import { M, folderTitle } from './strings';

export function FolderSelect({
  folders,
  disabled,
  onPick,
  testId,
}: {
  folders: MailFolderView[];
  disabled: boolean;
  onPick: (folder: MailFolderView) => void;
  testId: string;
}) {
  if (!folders.length) return null;
  return (
    <select
      className="mail-move"
      aria-label={M.reader.move}
      title={M.reader.move}
      value=""
      disabled={disabled}
      data-testid={testId}
      onChange={(e) => {
        const f = folders.find((x) => x.id === Number(e.target.value));
        if (f) onPick(f);
      }}
    >
      <option value="">{M.reader.move}</option>
      {folders.map((f) => (
        // <option> ignores padding: nesting is shown with non-breaking spaces.
        <option key={f.id} value={f.id} data-path={f.path}>{'\u00a0\u00a0\u00a0'.repeat(f.depth) + folderTitle(f)}</option>
      ))}
    </select>
  );
}

/**
 * Where «Спам» / «Не спам» files mail among `targets` (the account's other folders): into its
 * Junk, or, from Junk, back to the inbox. Undefined when the account has no such folder.
 */
export function spamTarget(targets: MailFolderView[], inJunk: boolean): MailFolderView | undefined {
  return inJunk ? targets.find((f) => f.path.toUpperCase() === 'INBOX') : targets.find((f) => f.specialUse === '\\Junk');
}
