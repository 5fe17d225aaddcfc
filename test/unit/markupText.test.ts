/** Token text with markup shows literally in hovers (issue 7): the markdown builder escapes it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml } from '../../src/engine/report';
import { markdownLiteral } from '../../src/shared/markdownText';

const TOKENS = [
  '<script>',
  '</span>',
  '&amp;',
  '"',
  '**b**',
  '[x](command:evil)',
  '`c`',
  '<img src=x onerror=alert(1)>',
  'a b',
  '\\',
  '# h',
  '- li',
  '1. n',
];

/** What a CommonMark renderer shows for our escapes: backslash escapes and the entities we emit. */
function rendered(md: string): string {
  return md
    .replace(/\\([\\`*_{}[\]()#+\-.!~|])/g, '$1')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

describe('markup in token text', () => {
  test('the hover markdown has no live markdown or HTML and reads back as the token', () => {
    for (const t of TOKENS) {
      const md = markdownLiteral(t);
      assert.doesNotMatch(md, /<|>|"/, t);
      assert.doesNotMatch(md, /&(?!amp;|lt;|gt;|quot;|nbsp;)/, t);
      assert.doesNotMatch(md, /(^|[^\\])[*_`[\]()]/, t);
      assert.equal(rendered(md), t);
    }
  });

  test('the HTML reports escape token text', () => {
    for (const t of TOKENS) {
      const html = escapeHtml(t);
      assert.doesNotMatch(html, /<|>|"/, t);
      assert.equal(
        html
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&'),
        t,
      );
    }
  });
});
