/**
 * Text from a document (token text) for a MarkdownString that is rendered as markdown: every
 * markdown and HTML special character is escaped, so `<script>`, `</span>`, `&amp;`, `**` or `[x](y)`
 * show literally. (MarkdownString.appendText escapes markdown but not `<` or `&`, so an entity
 * such as `&amp;` would show as `&`.)
 */
export function markdownLiteral(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()#+\-.!~|]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/ /g, '&nbsp;')
    .replace(/\r\n|\r|\n/g, ' ');
}
