import { visibleWhitespace } from './visibleWhitespace';

/**
 * A token as it reads inside running text (the history panel's passage, the results panel's
 * rows), where visibleWhitespace's brackets would clutter every word gap. Whitespace tokens are
 * real tokens and must stay visible when neutral, so they are drawn the way editors render
 * whitespace (· for a space, → for a tab, ⏎ for a line end); `breaks` says a line end is in it,
 * for a page that keeps the text's lines. Other control characters are shown as
 * visibleWhitespace shows them. Token text is only ever inserted as text.
 */
export function inlineTokenText(text: string): { shown: string; breaks: boolean } {
  let shown = '';
  let breaks = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\r' && text[i + 1] === '\n') continue; // one line end for CRLF
    if (c === '\n' || c === '\r') {
      shown += '⏎';
      breaks = true;
    } else if (c === ' ') shown += '·';
    else if (c === '\t') shown += '→';
    else if (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127) shown += visibleWhitespace(c);
    else shown += c;
  }
  return { shown, breaks };
}
