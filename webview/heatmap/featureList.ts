import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { visibleWhitespace } from '../shared/visibleWhitespace';
import { el } from './element';
import { featureSpecError, isRegexSpec } from './featureSpec';
import { STATISTICS } from './heatmapViewState';

export interface FeatureListEvents {
  featuresChange(features: string[]): void;
  statisticChange(statistic: string): void;
}

/** How a feature reads in chips and labels: regular expressions as written, token text with its whitespace visible. */
export function featureLabel(spec: string): string {
  return isRegexSpec(spec) ? spec : visibleWhitespace(spec);
}

/**
 * The features of interest as removable chips, an input to add one (exactly as typed, so that a
 * single space is a feature) and the relevance statistic.
 */
export class FeatureList {
  readonly element = el('div', 'features');
  private readonly chips = el('ul', 'feature-chips');
  private readonly input = el('vscode-textfield');
  private readonly statisticSelect = el('vscode-single-select');
  private readonly error = el('span', 'feature-error');
  private list: string[];

  constructor(
    features: readonly string[],
    statistic: string,
    private readonly events: FeatureListEvents,
  ) {
    this.list = [...features];
    const label = el('span', 'features-label', 'Features of interest');
    label.id = 'features-label';
    this.chips.setAttribute('aria-labelledby', label.id);
    this.input.id = 'feature-input';
    this.input.placeholder = 'token text or /regex/, Enter to add';
    this.input.title =
      'Exact token text (a single space is a feature too) or a regular expression /…/flags matched against whole tokens, ' +
      'e.g. /[.?!]/ or /\\n/ for line ends';
    this.input.setAttribute('aria-label', 'Add a feature of interest');
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.add(this.input.value);
      }
    });
    this.input.addEventListener('input', () => this.showError(undefined));
    const add = el('vscode-button', '', 'Add');
    add.id = 'feature-add';
    add.secondary = true;
    add.addEventListener('click', () => this.add(this.input.value));
    this.statisticSelect.id = 'statistic';
    this.statisticSelect.setAttribute('aria-label', 'Relevance statistic');
    for (const s of STATISTICS) {
      const option = el('vscode-option', '', s.label);
      option.value = s.id;
      this.statisticSelect.append(option);
    }
    this.statisticSelect.value = statistic;
    this.statisticSelect.addEventListener('change', () => this.events.statisticChange(this.statisticSelect.value));
    this.error.setAttribute('role', 'alert');
    const statisticLabel = el('label', 'statistic-label', 'Relevance');
    this.element.append(label, this.chips, this.input, add, statisticLabel, this.statisticSelect, this.error);
    this.render();
  }

  get features(): string[] {
    return [...this.list];
  }

  /** The features the extension computed relevance for (from an experiment file, say): shown without echoing back. */
  setFeatures(features: readonly string[]): void {
    this.list = [...features];
    this.render();
  }

  setStatistic(statistic: string): void {
    if (this.statisticSelect.value !== statistic) this.statisticSelect.value = statistic;
  }

  private add(spec: string): void {
    const error = featureSpecError(spec, this.list);
    this.showError(error);
    if (error) return;
    this.list.push(spec);
    this.input.value = '';
    this.render();
    this.events.featuresChange(this.features);
  }

  private remove(index: number): void {
    this.list.splice(index, 1);
    this.render();
    this.events.featuresChange(this.features);
    this.input.focus();
  }

  private showError(message: string | undefined): void {
    this.error.textContent = message ?? '';
    this.input.invalid = message !== undefined;
  }

  private render(): void {
    this.chips.replaceChildren(
      ...this.list.map((spec, i) => {
        const chip = el('li', 'feature-chip');
        const text = el('span', 'feature-chip-text', featureLabel(spec));
        const remove = el('button', 'feature-chip-remove', '×');
        remove.type = 'button';
        remove.title = `Remove ${featureLabel(spec)}`;
        remove.setAttribute('aria-label', `Remove feature ${featureLabel(spec)}`);
        remove.addEventListener('click', () => this.remove(i));
        chip.append(text, remove);
        return chip;
      }),
    );
    if (!this.list.length) this.chips.append(el('li', 'feature-none', 'none yet'));
  }
}
