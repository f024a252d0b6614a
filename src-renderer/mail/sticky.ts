/**
 * «Непрочитанные» / «★» lists that do not pull mail from under the user: the messages opened, read
 * or un-starred in a filtered view stay listed (shown as they are now) until the view changes — the
 * folder, the filter, the search, or a press on the active filter. The list sends these ids as
 * `keep` with the filter and the core lists, counts and selects `filter OR id IN keep`; new mail
 * that passes the filter still comes in.
 */
import { MAX_KEEP } from '../../src-shared/ipc/mail';

export class StickyIds {
  private view: string | null = null;
  /** Oldest first; the newest `max` are kept. */
  private ids: number[] = [];

  constructor(private readonly max = MAX_KEEP) {}

  /** Starts over when `key` names another view than the last one; true when it did. */
  forView(key: string): boolean {
    if (key === this.view) return false;
    this.view = key;
    this.ids = [];
    return true;
  }

  /** These ids stay shown in the current view (the most recent ones when over the bound). */
  add(ids: Iterable<number>): void {
    const fresh = new Set(ids);
    if (!fresh.size) return;
    this.ids = [...this.ids.filter((id) => !fresh.has(id)), ...fresh];
    if (this.ids.length > this.max) this.ids = this.ids.slice(this.ids.length - this.max);
  }

  /** The `keep` argument for the core: undefined when there is nothing to keep. */
  keep(): number[] | undefined {
    return this.ids.length ? [...this.ids] : undefined;
  }
}
