/**
 * «Ещё ▾»: actions used now and then, kept out of the reader's action bar. A menu button
 * (WAI-ARIA menu pattern): opens on click, arrows move between items, Escape closes and gives the
 * focus back; a click elsewhere — or in the mail frame, which takes focus from the window — closes it.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';

export interface MoreMenuItem {
  label: string;
  onPick: () => void;
  testId?: string;
}

export function MoreMenu({ label, title, items, disabled, testId }: { label: string; title: string; items: MoreMenuItem[]; disabled?: boolean; testId: string }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const outside = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    const blur = () => setOpen(false);
    document.addEventListener('mousedown', outside);
    window.addEventListener('blur', blur);
    // The first item takes the focus, so the keyboard works at once.
    box.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    return () => {
      document.removeEventListener('mousedown', outside);
      window.removeEventListener('blur', blur);
    };
  }, [open]);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      setOpen(false);
      button.current?.focus();
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const list = [...(box.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    list[(at + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length]?.focus();
  };

  return (
    <div className="mail-more" ref={box} onKeyDown={onKey}>
      <button
        type="button"
        ref={button}
        className="btn btn-sm btn-ghost"
        aria-haspopup="menu"
        aria-expanded={open}
        title={title}
        disabled={disabled}
        data-testid={testId}
        onClick={() => setOpen(!open)}
      >
        {label} ▾
      </button>
      {open ? (
        <div className="mail-more-menu" role="menu" aria-label={title}>
          {items.map((it) => (
            <button
              type="button"
              role="menuitem"
              key={it.label}
              data-testid={it.testId}
              onClick={() => {
                setOpen(false);
                it.onPick();
              }}
            >
              {it.label}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
