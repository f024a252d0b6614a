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

/**
 * A menu button's state and keys: open/closed, closed by a click elsewhere or by the window
 * losing focus (a click in the mail frame does that); Escape closes and gives the focus back to
 * the button; ↑/↓ move between the items (`role="menuitem"`), from the first/last when none has it.
 */
export function useMenu() {
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
    const items = [...(box.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    if (!items.length) return;
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const down = e.key === 'ArrowDown';
    items[at < 0 ? (down ? 0 : items.length - 1) : (at + (down ? 1 : items.length - 1)) % items.length]?.focus();
  };

  return { open, setOpen, box, button, onKey };
}

export function MoreMenu({ label, title, items, disabled, testId }: { label: string; title: string; items: MoreMenuItem[]; disabled?: boolean; testId: string }) {
  const { open, setOpen, box, button, onKey } = useMenu();
  // The first item takes the focus, so the keyboard works at once.
  useEffect(() => {
    if (open) box.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
  }, [open, box]);

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
