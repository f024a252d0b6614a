/** User actions shared by several screens. */
import { call, toAppError } from './api';
import { formatPhone } from './format';
import { S } from './strings';
import { toast } from './stores/toasts';

/** Click-to-call through the relay: the employee's own phone rings first, then the number. */
export async function dialNumber(raw: string): Promise<boolean> {
  const shown = formatPhone(raw);
  try {
    await call('calls:callback', { toNumber: raw });
    toast.ok(S.callback.calling(shown));
    return true;
  } catch (e) {
    toast.error(toAppError(e).message, S.callback.failed);
    return false;
  }
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API denied (insecure origin): fall back to a hidden textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}
