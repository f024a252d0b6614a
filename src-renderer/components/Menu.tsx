/**
 * A menu button (WAI-ARIA menu pattern) for the whole app: the «⋯» of a table row, the reader's
 * «Ещё ▾», compose's «Шаблон ▾». Its box is `.menu`, its list `.menu-list` (styles.css).
 */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

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

export interface MenuItem {
  label: string;
  onPick: () => void;
  testId?: string;
  /** Why it cannot be picked now: shown beside it, and the item does nothing. */
  disabled?: string;
}

/** A menu button with a plain list of items; the first item takes the focus when it opens. */
export function MenuButton(p: { label: ReactNode; title: string; buttonClass: string; testId: string; items: MenuItem[]; disabled?: boolean; ariaLabel?: string }) {
  const { open, setOpen, box, button, onKey } = useMenu();
  useEffect(() => {
    if (open) box.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
  }, [open, box]);
  return (
    <div className="menu" ref={box} onKeyDown={onKey}>
      <button
        type="button"
        ref={button}
        className={p.buttonClass}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={p.ariaLabel}
        title={p.title}
        disabled={p.disabled}
        data-testid={p.testId}
        onClick={() => setOpen(!open)}
      >
        {p.label}
      </button>
      {open ? (
        <div className="menu-list" role="menu" aria-label={p.title}>
          {p.items.map((it) => (
            <button
              type="button"
              role="menuitem"
              key={it.testId ?? it.label}
              data-testid={it.testId}
              aria-disabled={it.disabled ? true : undefined}
              title={it.disabled}
              onClick={() => {
                if (it.disabled) return;
                setOpen(false);
                it.onPick();
              }}
            >
              {it.label}
              {it.disabled ? <span className="muted small"> — {it.disabled.toLowerCase()}</span> : null}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
