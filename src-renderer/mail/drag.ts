/**
 * Dragging messages from the list onto a folder. The account travels in the data type itself:
 * during dragover a page may read the types but not the data, and a folder of another account
 * must refuse the drop before it happens (the core moves only within an account).
 */
const PREFIX = 'application/x-asgard-mail+';

export function dragMail(dt: DataTransfer, accountId: number, ids: number[]): void {
  dt.setData(`${PREFIX}${accountId}`, JSON.stringify(ids));
  dt.effectAllowed = 'move';
}

/** Messages of this account are being dragged (readable during dragover). */
export function draggingMailOf(dt: DataTransfer, accountId: number): boolean {
  return dt.types.includes(`${PREFIX}${accountId}`);
}

/** The dragged message ids, on drop. */
export function droppedMail(dt: DataTransfer, accountId: number): number[] {
  try {
    const ids: unknown = JSON.parse(dt.getData(`${PREFIX}${accountId}`) || '[]');
    return Array.isArray(ids) ? ids.filter((x): x is number => Number.isInteger(x) && x > 0) : [];
  } catch {
    return [];
  }
}
