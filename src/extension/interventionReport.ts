/**
 * The Markdown report of an intervention: loss, next-token distribution and generated text,
 * without and with it. Token and generated text are the document's and the model's, so every
 * piece of it is escaped to show literally.
 */
import { markdownLiteral } from '../shared/markdownText';
import type { InterventionParams, InterventionResult } from '../shared/protocol';
import { visibleToken } from './neuronLabels';

export function parseUnits(text: string, units: number): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) return undefined;
  const out = [...new Set(parts.map(Number))];
  return out.every((u) => u < units) ? out : undefined;
}

const bits = (x: number) => x.toFixed(3);
const percent = (p: number) => `${(100 * p).toFixed(1)} %`;
/** Table cells hold literal text (markdownLiteral also escapes the pipe that would end the cell). */
const cell = (text: string) => markdownLiteral(visibleToken(text));

export function interventionReport(title: string, file: string, p: InterventionParams, r: InterventionResult, truncated: boolean): string {
  const what = p.mode === 'zero' ? 'set to 0' : p.mode === 'mean' ? `set to their mean over ${file}` : `clamped to ${p.value}`;
  const where = p.where === 'all' ? 'at every token' : `at tokens matching ${markdownLiteral(JSON.stringify(p.where.feature))}`;
  const delta = r.loss.intervenedBits - r.loss.baselineBits;
  const lines = [
    `# ${markdownLiteral(title)}`,
    '',
    `Layer ${p.layer} ${p.component}, ${p.units.length === 1 ? 'neuron' : 'neurons'} ${p.units.join(', ')}: ${what}, ${where}. The model's weights are unchanged.`,
    '',
    `## Loss on ${markdownLiteral(file)}${truncated ? ' (first 100,000 characters)' : ''}`,
    '',
    '| | bits per token | bits per character |',
    '| --- | ---: | ---: |',
    `| without | ${bits(r.loss.baselineBits)} | ${bits(r.loss.baselineBitsPerChar)} |`,
    `| with | ${bits(r.loss.intervenedBits)} | ${bits(r.loss.intervenedBitsPerChar)} |`,
    '',
    `${delta >= 0 ? 'Worse' : 'Better'} by ${Math.abs(delta).toFixed(3)} bits per token; ${r.loss.changed.toLocaleString('en')} of ${r.loss.predicted.toLocaleString('en')} predictions changed.`,
    '',
  ];
  if (r.loss.largest.length > 0) {
    lines.push(
      'Predictions that changed most:',
      '',
      '| token # | predicted token | bits without | bits with |',
      '| ---: | --- | ---: | ---: |',
    );
    for (const l of r.loss.largest)
      lines.push(`| ${l.position} | ${cell(l.token)} | ${bits(l.baselineBits)} | ${bits(l.intervenedBits)} |`);
    lines.push('');
  }
  lines.push(
    `## Next token at the cursor`,
    '',
    `After …${markdownLiteral(visibleToken(r.next.context))} (KL divergence ${r.next.klBits.toFixed(4)} bits):`,
    '',
    '| without | p | with | p |',
    '| --- | ---: | --- | ---: |',
  );
  for (let i = 0; i < Math.max(r.next.before.length, r.next.after.length); i++) {
    const b = r.next.before[i];
    const a = r.next.after[i];
    lines.push(
      `| ${b ? cell(b.token) : ''} | ${b ? percent(b.probability) : ''} | ${a ? cell(a.token) : ''} | ${a ? percent(a.probability) : ''} |`,
    );
  }
  const g = r.generation;
  lines.push(
    '',
    `## Generated from the same seed`,
    '',
    `${g.baseline.length ? p.generateLength : 0} tokens after the text before the cursor, temperature 0.8${g.firstDifference >= 0 ? `; they part at sampled token ${g.firstDifference}` : '; identical'}.`,
    '',
    '**Without**',
    '',
    '```text',
    fence(g.baseline),
    '```',
    '',
    '**With**',
    '',
    '```text',
    fence(g.intervened),
    '```',
    '',
  );
  return lines.join('\n');
}

/** Generated text inside a code fence: a line of backticks would close it early. */
function fence(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}
