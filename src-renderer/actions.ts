/** User actions shared by several screens. */
import type { Call } from '../src-shared/wire';
import { call, toAppError } from './api';
import { formatPhone } from './format';
import { S } from './strings';
import { useHistory } from './stores/history';
import { useHome } from './stores/home';
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

/**
 * Saves a call's comment (empty text removes it). The lists showing the call take the answer at
 * once; the relay's feed item brings it to colleagues' apps (and this one's other windows).
 */
export async function saveCallComment(callId: number, text: string): Promise<Call> {
  const updated = await call('calls:setComment', { callId, text });
  useHistory.getState().applyCall(updated);
  useHome.getState().applyCall(updated);
  return updated;
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
