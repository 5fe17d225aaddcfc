/**
 * What of a document is sent to the engine. Binary content is refused (a NUL character never
 * occurs in text; colouring bytes would be meaningless and slow), and very long documents are cut
 * before crossing to the worker, since at most `maxTokens` tokens are analysed anyway.
 */

/** No tokenizer makes tokens longer than this on real text; beyond it a document is cut. */
export const MAX_CHARS_PER_TOKEN = 64;

export type PreparedText = { kind: 'binary' } | { kind: 'text'; text: string; cut: boolean };

export function prepareText(text: string, maxTokens: number): PreparedText {
  if (text.includes('\u0000')) return { kind: 'binary' };
  const limit = Math.max(1, Math.floor(maxTokens)) * MAX_CHARS_PER_TOKEN;
  if (text.length <= limit) return { kind: 'text', text, cut: false };
  // Never split a surrogate pair: the half would become a bogus token.
  const high = text.charCodeAt(limit - 1);
  const end = high >= 0xd800 && high <= 0xdbff ? limit - 1 : limit;
  return { kind: 'text', text: text.slice(0, end), cut: true };
}

/** A document's name for messages: the file name, or the untitled editor's name. */
export function documentName(document: { isUntitled: boolean; uri: { path: string } }): string {
  const parts = document.uri.path.split('/');
  return parts[parts.length - 1] || document.uri.path;
}
