/** The Markdown report of a fooling search: each substitution and the class probabilities after it. */
import { markdownLiteral } from '../shared/markdownText';
import type { FoolResult } from '../shared/protocol';
import { visibleToken } from './neuronLabels';

const percent = (p: number) => `${(100 * p).toFixed(1)} %`;

export function foolingReport(r: FoolResult): string {
  const cell = (t: string) => markdownLiteral(visibleToken(t));
  const lines = [
    `# ${markdownLiteral(r.summary)}`,
    '',
    `Before: **${markdownLiteral(r.originalClass)}** · after: **${markdownLiteral(r.predicted)}** · ${r.steps.length} substitution${r.steps.length === 1 ? '' : 's'} · ${r.evaluated} sequences scored.`,
    '',
    `| | ${r.classes.map(cell).join(' | ')} |`,
    `| --- | ${r.classes.map(() => '---:').join(' | ')} |`,
    `| before | ${r.probabilitiesBefore.map(percent).join(' | ')} |`,
  ];
  for (const [i, st] of r.steps.entries()) {
    lines.push(
      `| ${i + 1}: ${cell(st.edit.oldToken)} → ${cell(st.edit.newToken)} (token ${st.edit.position}) | ${st.probabilities.map(percent).join(' | ')} |`,
    );
  }
  lines.push('', 'The results panel’s card opens the edited text in a new editor; your document is unchanged.', '');
  return lines.join('\n');
}
