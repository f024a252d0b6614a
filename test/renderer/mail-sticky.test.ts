/**
 * The mail list's kept rows (src-renderer/mail/sticky.ts): what the user opened, read or
 * un-starred in a filtered view is sent as `keep` until the view changes, bounded by MAX_KEEP.
 */
import { describe, expect, it } from 'vitest';
import { StickyIds } from '../../src-renderer/mail/sticky';
import { MAX_KEEP, MailListKeepSchema } from '../../src-shared/ipc/mail';

describe('StickyIds', () => {
  it('keeps what was added in this view, once each, and starts over in another view', () => {
    const s = new StickyIds();
    expect(s.forView('1||unread|0')).toBe(true);
    expect(s.keep()).toBeUndefined();
    s.add([5]);
    s.add([7, 5]);
    expect(s.keep()).toEqual([7, 5]);
    // The same view again (a reload on new mail, a sync): nothing lost.
    expect(s.forView('1||unread|0')).toBe(false);
    expect(s.keep()).toEqual([7, 5]);
    // Another filter, folder, search, or the filter pressed again (epoch): empty.
    for (const key of ['1||flagged|0', '2||flagged|0', '2|счёт|flagged|0', '2|счёт|flagged|1']) {
      s.add([9]);
      expect(s.forView(key)).toBe(true);
      expect(s.keep()).toBeUndefined();
    }
  });

  it('hands out a copy', () => {
    const s = new StickyIds();
    s.add([1]);
    s.keep()!.push(2);
    expect(s.keep()).toEqual([1]);
  });

  it('stays within the bound the core accepts, dropping the least recently touched', () => {
    const s = new StickyIds(3);
    s.add([1, 2, 3]);
    s.add([1]); // touched again: now the most recent
    s.add([4]);
    expect(s.keep()).toEqual([3, 1, 4]);

    const full = new StickyIds();
    full.add(Array.from({ length: MAX_KEEP + 50 }, (_, i) => i + 1));
    const keep = full.keep()!;
    expect(keep).toHaveLength(MAX_KEEP);
    expect(keep[0]).toBe(51);
    expect(MailListKeepSchema.safeParse(keep).success).toBe(true);
    expect(MailListKeepSchema.safeParse([...keep, 99_999]).success).toBe(false);
  });
});
