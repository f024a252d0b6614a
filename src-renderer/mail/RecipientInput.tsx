/**
 * A recipients field («Кому», «Копия», «Скрытая копия»: addresses separated by commas) that
 * suggests the address being typed (the last one): CRM contacts whose name matches first, then
 * what the core finds in the mail (people written to, then people who wrote; the sending
 * account's correspondents before the other accounts'), then contacts
 * matching by address. A WAI-ARIA combobox: ArrowUp/ArrowDown move, Enter or Tab picks, Escape
 * closes, a click picks. The pick becomes «Имя <адрес>, », which the send path parses.
 */
import { foldRu } from '../../src-shared/fold';
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { call } from '../api';
import { useContacts } from '../stores/contacts';
import type { Contact } from '../../src-shared/wire';
import { lastSeparator } from './addresses';
import { M } from './strings';

export interface RecipientSuggestion {
  name: string;
  email: string;
  /** From the CRM contacts rather than the mail. */
  contact: boolean;
}

const LIMIT = 8;
const DEBOUNCE_MS = 100;

/** The field split at its last separator (the same ones Compose splits addresses on). */
export function currentToken(value: string): { head: string; token: string } {
  const i = lastSeparator(value);
  return { head: value.slice(0, i + 1), token: value.slice(i + 1).trim() };
}

/**
 * «Имя <адрес>», or the bare address when there is no usable name. Separators, brackets and
 * quotes are dropped from the name rather than quoted: the text stays one plain recipient the
 * user can read and edit, and parentheses would be read as a comment.
 */
export function formatRecipient(name: string, email: string): string {
  const n = name.replace(/[,;<>"()[\]\\]/g, ' ').replace(/\s+/g, ' ').trim();
  return n && !n.includes('@') ? `${n} <${email}>` : email;
}

/** The field with its last (partly typed) address replaced by the pick, ready for the next. */
export function withPicked(value: string, s: { name: string; email: string }): string {
  const { head } = currentToken(value);
  return `${head}${head ? ' ' : ''}${formatRecipient(s.name, s.email)}, `;
}

const words = (s: string) => foldRu(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** CRM contacts with an address matching the query, split by what matched (name first). */
export function matchContacts(contacts: Iterable<Contact>, query: string): { byName: RecipientSuggestion[]; byEmail: RecipientSuggestion[] } {
  const q = foldRu(query.trim());
  const byName: RecipientSuggestion[] = [];
  const byEmail: RecipientSuggestion[] = [];
  if (!q) return { byName, byEmail };
  const qWords = q.includes('@') ? [] : words(q);
  const domainQ = q.startsWith('@') ? q.slice(1) : q;
  for (const c of contacts) {
    if (!c.emails.length) continue;
    const nameWords = words(c.name);
    const nameHit = qWords.length > 0 && qWords.every((w) => nameWords.some((x) => x.startsWith(w)));
    for (const raw of c.emails) {
      const email = raw.trim().toLowerCase();
      if (!email.includes('@')) continue;
      const s = { name: c.name, email, contact: true };
      if (nameHit) byName.push(s);
      else if (email.startsWith(q) || (domainQ && email.slice(email.lastIndexOf('@') + 1).startsWith(domainQ))) byEmail.push(s);
    }
  }
  return { byName, byEmail };
}

/** Contacts by name, then the mail's suggestions, then contacts by address; one per address. */
export function mergeSuggestions(
  contacts: { byName: RecipientSuggestion[]; byEmail: RecipientSuggestion[] },
  mail: { name: string; email: string }[],
  exclude: Set<string>,
  limit = LIMIT,
): RecipientSuggestion[] {
  const out: RecipientSuggestion[] = [];
  const kept = new Map<string, RecipientSuggestion>();
  for (const s of [...contacts.byName, ...mail.map((m) => ({ ...m, contact: false })), ...contacts.byEmail]) {
    const key = s.email.toLowerCase();
    if (exclude.has(key)) continue;
    const had = kept.get(key);
    if (had) {
      // The mail knew the address first; it is still a CRM contact, with the contact's name.
      if (s.contact) Object.assign(had, { contact: true, name: had.name || s.name });
      continue;
    }
    if (out.length >= limit) continue;
    const copy = { ...s, email: key };
    kept.set(key, copy);
    out.push(copy);
  }
  return out;
}

/** Addresses already in the field before the one being typed: not suggested again. */
function enteredBefore(head: string): Set<string> {
  return new Set((head.match(/[^\s<>,;"']+@[^\s<>,;"']+/g) ?? []).map((a) => a.toLowerCase()));
}

export function RecipientInput({
  value,
  onChange,
  accountId,
  id,
  autoFocus,
  'aria-describedby': describedBy,
  'data-testid': testId,
}: {
  value: string;
  onChange(value: string): void;
  /** The «От кого» account: its correspondents are suggested first. */
  accountId?: number | null;
  id?: string;
  autoFocus?: boolean;
  'aria-describedby'?: string;
  'data-testid'?: string;
}) {
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  const byId = useContacts((s) => s.byId);
  const [focused, setFocused] = useState(false);
  const [items, setItems] = useState<RecipientSuggestion[]>([]);
  const [active, setActive] = useState(-1);
  // Escape hides the list until the user types again.
  const [dismissed, setDismissed] = useState(false);
  const seq = useRef(0);
  const warmed = useRef(false);

  useEffect(() => {
    const c = useContacts.getState();
    if (!c.loaded) void c.load();
  }, []);

  useEffect(() => {
    const mine = ++seq.current;
    const { head, token } = currentToken(value);
    const el = input.current;
    // Only the address being typed at the end; «Имя <…» typed out by hand needs no help.
    const atEnd = !el || el.selectionStart === null || el.selectionStart === value.length;
    if (!focused || !token || /[<>]/.test(token) || !atEnd) {
      setItems([]);
      setActive(-1);
      return;
    }
    const timer = setTimeout(() => {
      const contacts = matchContacts(byId.values(), token);
      call('mail:recipients:suggest', { query: token.slice(0, 200), limit: LIMIT, accountId: accountId ?? undefined })
        .catch(() => [] as { name: string; email: string }[])
        .then((mail) => {
          if (seq.current !== mine) return;
          setItems(mergeSuggestions(contacts, mail, enteredBefore(head)));
          setActive(-1);
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // Another «От кого» ranks differently: ask again.
  }, [value, focused, byId, accountId]);

  const open = focused && !dismissed && items.length > 0;
  const optionId = (i: number) => `${listId}-${i}`;

  useEffect(() => {
    if (open && active >= 0) document.getElementById(optionId(active))?.scrollIntoView({ block: 'nearest' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, active]);

  const pick = (s: RecipientSuggestion) => {
    seq.current++;
    onChange(withPicked(value, s));
    setItems([]);
    setActive(-1);
    input.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (!open) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = items.length;
      setActive((a) => (e.key === 'ArrowDown' ? (a + 1) % n : a <= 0 ? n - 1 : a - 1));
    } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0 && active < items.length) {
      // Enter would send the form, Tab would leave the field: both pick instead.
      e.preventDefault();
      pick(items[active]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setDismissed(true);
    }
  };

  return (
    <div className="recipient-input">
      <input
        ref={input}
        id={id}
        value={value}
        autoFocus={autoFocus}
        autoComplete="off"
        spellCheck={false}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
        aria-describedby={describedBy}
        data-testid={testId}
        onChange={(e) => {
          setDismissed(false);
          onChange(e.target.value);
        }}
        onKeyDown={onKeyDown}
        onFocus={() => {
          setFocused(true);
          // An empty query readies the core's index before the first keystroke.
          if (!warmed.current) {
            warmed.current = true;
            void call('mail:recipients:suggest', { query: '', accountId: accountId ?? undefined }).catch(() => undefined);
          }
        }}
        onBlur={() => setFocused(false)}
      />
      <ul
        className="recipient-list"
        id={listId}
        role="listbox"
        aria-label={M.composeForm.suggestions}
        hidden={!open}
        data-testid={testId ? `${testId}-suggestions` : undefined}
      >
        {open
          ? items.map((s, i) => (
              <li
                key={s.email}
                id={optionId(i)}
                role="option"
                aria-selected={i === active}
                className={`recipient-option${i === active ? ' active' : ''}`}
                data-testid="recipient-option"
                // Keeps the focus (and the list) in the field until the click lands.
                onMouseDown={(e) => e.preventDefault()}
                onMouseEnter={() => setActive(i)}
                onClick={() => pick(s)}
              >
                {s.name ? <span className="recipient-option-name">{s.name}</span> : null}
                <span className="recipient-option-email">{s.email}</span>
                {s.contact ? <span className="recipient-option-tag">{M.composeForm.contactTag}</span> : null}
              </li>
            ))
          : null}
      </ul>
    </div>
  );
}
