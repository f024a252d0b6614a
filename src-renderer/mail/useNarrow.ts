/** Whether an element is narrower than `px`: the reader's toolbar folds secondary actions into «Ещё ▾». */
import { useLayoutEffect, useState, type RefObject } from 'react';

export function useNarrow(ref: RefObject<HTMLElement | null>, px: number, deps: unknown[] = []): boolean {
  const [narrow, setNarrow] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    // Measured before paint, so the wide toolbar never flashes in a narrow pane.
    const check = () => setNarrow(el.getBoundingClientRect().width < px);
    check();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(check);
    ro.observe(el);
    return () => ro.disconnect();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ref, px, ...deps]);
  return narrow;
}
