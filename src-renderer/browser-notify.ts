/**
 * Browser mode's system notifications (under Electron the shell shows native ones itself): only
 * where the browser allows them, a click bringing the page forward on `route` when given.
 * Returns whether one was allowed (and tried).
 */
import { hasShell } from './api';
import { navigate } from './router';

export function browserNotify(n: { title: string; body: string; tag: string; route?: string; onlyWhenHidden?: boolean }): boolean {
  if (hasShell || typeof Notification === 'undefined' || Notification.permission !== 'granted') return false;
  if (n.onlyWhenHidden && (typeof document === 'undefined' || !document.hidden)) return false;
  try {
    const note = new Notification(n.title, { body: n.body, tag: n.tag });
    const route = n.route;
    if (route) {
      note.onclick = () => {
        window.focus();
        navigate(route);
        note.close();
      };
    }
  } catch {
    // Notifications unsupported here.
  }
  return true;
}
