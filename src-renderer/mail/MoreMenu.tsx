/**
 * «Ещё ▾»: actions used now and then, kept out of the reader's action bar. A menu button
 * (WAI-ARIA menu pattern): opens on click, arrows move between items, Escape closes and gives the
 * focus back; a click elsewhere — or in the mail frame, which takes focus from the window — closes it.
 */
import { MenuButton, type MenuItem } from '../components/Menu';

export type MoreMenuItem = Omit<MenuItem, 'disabled'>;

export function MoreMenu({ label, title, items, disabled, testId }: { label: string; title: string; items: MoreMenuItem[]; disabled?: boolean; testId: string }) {
  return <MenuButton label={`${label} ▾`} title={title} buttonClass="btn btn-sm btn-ghost" testId={testId} items={items} disabled={disabled} />;
}
