import type { SidePanelModel } from '../../src/shared/sidePanelMessages';
import { formatCount } from '../shared/numberFormat';

/** One line of the model summary: a short label and its value, with an optional longer explanation. */
export interface ModelFact {
  label: string;
  value: string;
  title?: string;
}

const CELLS: Record<string, string> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/**
 * The model summary in words. The training result is given next to the unigram entropy of the
 * same text, because bits per character mean little alone: a model that ignores context already
 * scores the unigram entropy, and the gap below it is what the recurrent state learned.
 */
export function modelFacts(model: SidePanelModel): ModelFact[] {
  const unit = model.level === 'char' ? 'char' : 'token';
  const sizes = model.layers.every((u) => u === model.layers[0])
    ? `${model.layers.length} layer${model.layers.length === 1 ? '' : 's'} × ${model.layers[0] ?? 0} units`
    : `layers of ${model.layers.join(', ')} units`;
  const facts: ModelFact[] = [
    { label: 'Architecture', value: `${CELLS[model.cell] ?? model.cell.toUpperCase()} · ${sizes}` },
    { label: 'Parameters', value: formatCount(model.parameters) },
    {
      label: 'Vocabulary',
      value: `${formatCount(model.vocabulary)} ${model.level === 'char' ? 'characters' : 'words and symbols'}`,
      title:
        model.level === 'char' ? 'Character-level: one token per Unicode code point' : 'Word-level: words, spaces, line ends and symbols',
    },
  ];
  const t = model.training;
  if (t) {
    const steps = `${formatCount(t.steps)}${t.completed ? '' : ` of ${formatCount(t.targetSteps)}`} steps`;
    facts.push({
      label: 'Trained on',
      value: `${t.corpus} · ${steps}${t.completed ? '' : ' (stopped early)'}`,
    });
    if (t.validationBits !== undefined) {
      const v = t.validationBits.toFixed(2);
      const u = t.unigramEntropyBits;
      facts.push({
        label: 'Result',
        value: u !== undefined ? `${v} bits/${unit} held out · unigram ${u.toFixed(2)}` : `${v} bits/${unit} held out`,
        title:
          u !== undefined
            ? `On held-out text the model needs ${v} bits per ${unit}; a model that ignores context needs ${u.toFixed(2)} (the unigram entropy). Lower is better.`
            : `On held-out text the model needs ${v} bits per ${unit}. Lower is better.`,
      });
    }
  }
  const backend = model.backend ?? 'starts with the first analysis';
  facts.push({
    label: 'Backend',
    value: t?.backend && t.backend !== model.backend ? `${backend} (trained on ${t.backend})` : backend,
    title: 'Where the engine computes: tensorflow (native), wasm (WebAssembly) or cpu (JavaScript); setting neuronLens.backend',
  });
  return facts;
}
