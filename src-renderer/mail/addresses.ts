/**
 * Splitting a recipients field («Кому», «Копия», «Скрытая копия») into addresses. A comma or
 * semicolon inside a quoted display name ("Петров, Иван" <ivan@x.ru>) or inside <…> does not
 * separate: replies to such senders must not break into a name and a lone address.
 */
const SEPARATORS = new Set([',', ';', '\n']);

/** Offsets of the separators that do separate (outside quotes and angle brackets). */
function separatorOffsets(s: string): number[] {
  const out: number[] = [];
  let quoted = false;
  let angle = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle = true;
    else if (ch === '>') angle = false;
    else if (!angle && SEPARATORS.has(ch)) out.push(i);
  }
  return out;
}

export function splitAddresses(s: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (const i of [...separatorOffsets(s), s.length]) {
    parts.push(s.slice(from, i).trim());
    from = i + 1;
  }
  return parts.filter(Boolean);
}

/** The text after the last separating comma/semicolon: the address being typed. */
export function lastSeparator(s: string): number {
  return separatorOffsets(s).at(-1) ?? -1;
}
