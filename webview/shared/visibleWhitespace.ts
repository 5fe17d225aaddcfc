/**
 * Token text as a label: whitespace tokens are real tokens (a space or a line end is often the
 * most interesting feature), so they must be visible rather than blank. Spaces are bracketed
 * (⟨ ⟩), line ends become ⏎ (CRLF is one line end), tabs →, other control characters their
 * code point.
 */
export function visibleWhitespace(text: string): string {
  if (text.length === 0) return '⟨⟩';
  let shown = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue; // the \n that follows draws the line end
    if (c === 10 || c === 13) shown += '⏎';
    else if (c === 9) shown += '→';
    else if (c < 32 || c === 127) shown += `\\u${c.toString(16).padStart(4, '0')}`;
    else shown += text[i];
  }
  return /[ \u00a0]/.test(shown) ? `⟨${shown}⟩` : shown;
}
