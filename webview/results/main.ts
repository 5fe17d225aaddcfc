import '@vscode-elements/elements/dist/vscode-button/index.js';
import { type ResultsData, parseToResults } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { divergingColourMap } from '../shared/divergingColourMap';
import { PanelChannel } from '../shared/panelChannel';
import { type ThemeColours, onThemeChange, readThemeColours } from '../shared/themeColours';
import { cardView } from './cardView';
import { resultsCsv } from './resultsCsv';

/**
 * The results panel: the text investigations as cards, newest first. The extension builds the
 * cards and acts on their buttons; this page draws them and says which button of which card and
 * row was pressed.
 */

const channel = new PanelChannel<undefined>();
let theme = readThemeColours();
let data: ResultsData = { cards: [] };

const palette = (t: ThemeColours) => divergingColourMap(t.blue, t.background, t.red);

const clearButton = h('vscode-button', { secondary: true, id: 'clear-results' }, 'Clear');
clearButton.addEventListener('click', () => channel.post({ type: 'clearResults' }));
const subtitle = h('p', { class: 'subtitle' });
const errorBanner = h('div', { class: 'error', role: 'alert', hidden: true });
const empty = h(
  'p',
  { class: 'empty' },
  'No results yet. Maximize Neuron…, Show Top Contexts for Neuron…, Show Saliency at Cursor…, Find a Fooling Edit… and Invert Hidden State of Selection… put theirs here.',
);
const list = h('main', { class: 'result-list' });
document.body.append(
  h('header', { class: 'toolbar' }, h('div', {}, h('h1', {}, 'Neuron Lens results'), subtitle), clearButton),
  errorBanner,
  empty,
  list,
);

function render(): void {
  const colours = palette(theme);
  const n = data.cards.length;
  subtitle.textContent = n === 0 ? 'Nothing yet' : `${n} result${n === 1 ? '' : 's'}, newest first`;
  empty.hidden = n > 0;
  clearButton.toggleAttribute('disabled', n === 0);
  list.replaceChildren(
    ...data.cards.map((card) =>
      cardView(card, colours, {
        act: (id, action, row) => channel.post({ type: 'resultAction', card: id, action, ...(row === undefined ? {} : { row }) }),
        close: (id) => channel.post({ type: 'closeResult', card: id }),
        exportCsv: (c) => channel.post(resultsCsv(c)),
      }),
    ),
  );
}

onThemeChange(() => {
  theme = readThemeColours();
  render();
});

channel.onMessage(parseToResults, (m) => {
  if (m.type === 'results') {
    data = m.data;
    errorBanner.hidden = true;
    render();
  } else {
    errorBanner.textContent = m.message;
    errorBanner.hidden = false;
  }
});
render();
channel.post({ type: 'ready' });
