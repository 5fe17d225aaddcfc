import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { SidePanelCommand, ToSidePanel } from '../../src/shared/sidePanelMessages';
import { h } from '../shared/createElement';
import { visibleWhitespace } from '../shared/visibleWhitespace';
import { commandButton } from './commandButtons';

type Features = Extract<ToSidePanel, { type: 'features' }>;

/** Regular expressions are written /…/flags; anything else is exact token text. */
const REGEX_SPEC = /^\/(.+)\/([imsu]*)$/s;

/**
 * The experiment's features of interest, read-only: they are edited in the heatmap panel (or in
 * the experiment file), and the button opens that panel, where their relevance is computed.
 */
export class FeaturesView {
  readonly element: HTMLElement;
  private readonly chips = h('ul', { class: 'feature-chips', 'aria-label': 'Features of interest' });
  private readonly source = h('p', { class: 'note feature-source' });
  private readonly problem = h('p', { class: 'warning', role: 'status', hidden: true });

  constructor(run: (command: SidePanelCommand) => void) {
    const open = commandButton('neuronLens.showHeatmap', run);
    open.id = 'open-relevance';
    open.textContent = 'Show Relevance in Heatmap';
    open.title = 'Open the activation heatmap, which scores every neuron against these features and proposes the most relevant ones';
    this.element = h(
      'div',
      { class: 'features' },
      this.chips,
      this.source,
      this.problem,
      h('div', { class: 'button-row' }, open, commandButton('neuronLens.openExperimentFile', run)),
    );
  }

  show(f: Features): void {
    this.chips.replaceChildren(
      ...f.features.map((spec) =>
        h(
          'li',
          {
            class: REGEX_SPEC.test(spec) ? 'chip regex' : 'chip',
            title: REGEX_SPEC.test(spec) ? `Tokens matching ${spec}` : `Tokens equal to “${spec}”`,
          },
          REGEX_SPEC.test(spec) ? spec : visibleWhitespace(spec),
        ),
      ),
    );
    if (f.features.length === 0) this.chips.append(h('li', { class: 'note' }, 'None yet: add some in the heatmap panel.'));
    this.source.textContent = f.exists ? `From ${f.file}` : `Defaults: ${f.file} does not exist yet (the heatmap panel creates it).`;
    this.problem.textContent = f.problem ? `${f.file} cannot be used: ${f.problem}` : '';
    this.problem.hidden = !f.problem;
  }
}
