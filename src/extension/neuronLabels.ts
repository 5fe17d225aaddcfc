/**
 * How neurons, tokens and statistics are written in pickers, hovers and the status bar. Pure
 * (no VS Code) so the wording is unit-tested; the neuron label is what users type to find one.
 */
import type { NeuronRanking, NeuronStats } from '../shared/protocol';
import type { ModelSummary } from '../shared/modelSummary';

const MAX_TOKEN_CHARS = 24;

/**
 * Token text with its whitespace made visible: line breaks as ⏎, tabs as ⇥, control characters
 * as \xNN, and a token with spaces (or a lone no-break space) framed as ⟨ ⟩ so that a space
 * reads as a space and not as nothing.
 */
export function visibleToken(text: string): string {
  let shown = text
    .replace(/\r\n|\n|\r/g, '⏎')
    .replace(/\t/g, '⇥')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const chars = Array.from(shown);
  if (chars.length > MAX_TOKEN_CHARS) shown = `${chars.slice(0, MAX_TOKEN_CHARS - 1).join('')}…`;
  return /[\s\u00a0]/.test(shown) || shown === '' ? `⟨${shown}⟩` : shown;
}

/** A number with an explicit sign and fixed digits; NaN as n/a. */
export function formatSigned(x: number, digits = 2): string {
  if (Number.isNaN(x)) return 'n/a';
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return `${x < 0 ? '-' : '+'}${s}`;
}

export function neuronLabel(neuron: number): string {
  return `Neuron ${neuron}`;
}

/** One line for the neuron picker: where the neuron sits and what makes it fire. */
export function neuronDescription(stats: NeuronStats, topTokens = 3): string {
  const top = stats.topTokens.slice(0, topTokens).map(visibleToken);
  const parts = [
    `mean ${formatSigned(stats.mean)} ± ${stats.std.toFixed(2)}`,
    `range ${formatSigned(stats.min)}…${formatSigned(stats.max)}`,
  ];
  if (top.length > 0) parts.push(`top ${top.join(' ')}`);
  return parts.join(' · ');
}

export function rankingDescription(entry: NeuronRanking['neurons'][number]): string {
  return `score ${formatSigned(entry.score)} · in ${formatSigned(entry.meanIn)} · out ${formatSigned(entry.meanOut)}`;
}

/** A layer and one of its internals, as offered by the component picker. */
export interface ComponentChoice {
  layer: number;
  component: string;
  label: string;
  units: number;
}

/** Every (layer, component) of a model, layer by layer, in the model's component order. */
export function componentChoices(model: Pick<ModelSummary, 'layers' | 'components' | 'bidirectionalLayers'>): ComponentChoice[] {
  return model.layers.flatMap((units, layer) =>
    model.components
      // Only a bidirectional layer has the backward cell's components.
      .filter((c) => !c.id.startsWith('backward/') || (model.bidirectionalLayers ?? []).includes(layer))
      .map((c) => ({ layer, component: c.id, label: c.label, units })),
  );
}

export function componentTitle(choice: Pick<ComponentChoice, 'layer' | 'component' | 'label'>, layers: number): string {
  return layers > 1 ? `${choice.label} (${choice.component}), layer ${choice.layer}` : `${choice.label} (${choice.component})`;
}

/** `L0 h #42`: short enough for the status bar. */
export function neuronShortName(layer: number, component: string, neuron: number): string {
  return `L${layer} ${component} #${neuron}`;
}

/** A model's name for people: its folder's name, or its description when it has no folder. */
export function modelName(model: Pick<ModelSummary, 'dir' | 'description'> & { bundled?: boolean }): string {
  if (model.bundled) return 'Default model (bundled)';
  if (!model.dir) return model.description;
  const parts = model.dir.split(/[\\/]+/).filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? model.description;
}

/** The neuron a quick-pick filter names (`42`, `Neuron 42`), if it is one of `units`. */
export function typedNeuron(value: string, units: number): number | undefined {
  const m = /^\s*(?:neuron\s*)?(\d+)\s*$/i.exec(value);
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n < units ? n : undefined;
}

/** A snippet of text on one line (line ends as ⏎, tabs as spaces), for list labels. */
export function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '⏎').replace(/\t/g, ' ');
}
