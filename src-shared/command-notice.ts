/**
 * How a command Mango reported as failed is named to the employee, the same in the window (toast,
 * popup card) and in the Electron shell's native notification; the reason follows it.
 */
import type { CommandFailure } from './wire';
import { formatPhone } from './phone';

export function commandFailureTitle(f: CommandFailure): string {
  return f.action === 'callback' ? `Не удалось позвонить на ${formatPhone(f.target) || f.target}` : `Не удалось перевести звонок (кому: ${f.target})`;
}
