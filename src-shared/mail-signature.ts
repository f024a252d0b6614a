/**
 * An account's mail signature as it goes into a message's text: after the standard "-- " line
 * (RFC 3676 §4.3), which mail clients recognise as a signature's start. Shared by the core
 * (pre-filled text) and the compose form (switching «От кого» swaps it).
 */
export function signatureBlock(signature: string): string {
  const s = signature.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  return s.trim() ? `-- \n${s}` : '';
}

/**
 * The text with one account's signature replaced by another's: only where the old block stands
 * unchanged (a signature the user edited is theirs now). A message still empty but for the old
 * one (or nothing) gets the new one.
 */
export function swapSignature(text: string, from: string, to: string): string {
  const oldBlock = signatureBlock(from);
  const newBlock = signatureBlock(to);
  if (oldBlock === newBlock) return text;
  if (!text.trim() || text.trim() === oldBlock.trim()) return newBlock ? `\n\n${newBlock}` : '';
  if (!oldBlock) return text;
  // The old block whole: followed by a line break or the end, not by more the user typed.
  const escaped = oldBlock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const standing = new RegExp(`(\\n*)${escaped}(?=\\n|$)`);
  const m = standing.exec(text);
  if (!m) return text;
  // Removed with the blank lines that set it apart.
  return text.slice(0, m.index) + (newBlock ? m[1] + newBlock : '') + text.slice(m.index + m[0].length);
}
