import '@vscode-elements/elements/dist/vscode-button/index.js';
import { type FromVision, type ToVision, type VisionModelInfo, type VisionSection, parseToVision } from '../../src/shared/visionMessages';
import { h } from '../shared/createElement';
import { fileName, pngExport } from '../shared/exportMessages';
import { PanelChannel } from '../shared/panelChannel';
import { readThemeColours } from '../shared/themeColours';
import { imageFigure } from './imageFigure';
import { pictureZoom } from './imagePixels';

/**
 * The image-model panel: an input (MNIST test digit or an image file), the prediction, each layer's
 * activations, a layer's filter gallery, saliency, a fooling image, the input reconstructed from a
 * layer's features (feature inversion) and DeepDream. The extension computes every
 * picture in the engine worker and sends it as a section of images; this page only draws them.
 */

const channel = new PanelChannel<undefined, FromVision, ToVision>();
let model: VisionModelInfo | undefined;

const title = h('h1', {}, 'Image model');
const subtitle = h('p', { class: 'subtitle' }, 'Waiting for an image model from the extension…');
const busyText = h('span', {});
const busyBar = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Progress' });
const busy = h('p', { class: 'busy', role: 'status', hidden: true }, busyText, ' ', busyBar);
const errorBanner = h('div', { class: 'error', role: 'alert', hidden: true });
const readout = h('p', { class: 'pixel-readout', 'aria-live': 'polite' }, '\u00a0');
const sections = h('main', { class: 'sections' });

const button = (label: string, tip: string, action: () => void): HTMLElement => {
  const b = h('vscode-button', { title: tip }, label);
  b.addEventListener('click', action);
  return b;
};
const digit = h('input', { type: 'number', id: 'digit', min: 0, value: 0, step: 1 });
const layerSelect = h('select', { id: 'layer', title: 'Layer whose filters to visualise' });
const targetSelect = h('select', { id: 'target', title: 'Class the fooling image should be taken for' });
const invertSelect = h('select', { id: 'invert-layer', title: 'Layer whose features the reconstruction must match' });
const dreamSelect = h('select', { id: 'dream-layer', title: 'Layer whose activation DeepDream amplifies' });
const cancel = button('Cancel', 'Stop the computation in progress', () => channel.post({ type: 'visionCancel' }));
cancel.hidden = true;
const digitControls = h(
  'label',
  { class: 'digit-picker', title: 'Index of a digit in the MNIST test set' },
  'Test digit ',
  digit,
  ' ',
  button('Show', 'Run the model on this test digit', () => {
    if (Number.isInteger(digit.valueAsNumber) && digit.valueAsNumber >= 0)
      channel.post({ type: 'visionDigit', index: digit.valueAsNumber });
  }),
);
const controls = h(
  'div',
  { class: 'controls' },
  digitControls,
  button('Open Image…', 'Run the model on a PNG or JPEG file', () => channel.post({ type: 'visionOpenImage' })),
  h('label', {}, 'Filters of ', layerSelect),
  button('Gallery', 'Maximise every filter of the layer from noise', () => {
    if (layerSelect.value) channel.post({ type: 'visionMaximize', layer: layerSelect.value });
  }),
  h('label', {}, 'Fool as ', targetSelect),
  button('Fool', 'Change the input until the model takes it for the chosen class', () => {
    if (targetSelect.value) channel.post({ type: 'visionFool', target: Number(targetSelect.value) });
  }),
  h('label', {}, 'Invert ', invertSelect),
  button('Invert', "Reconstruct the input from noise by matching the layer's features", () => {
    if (invertSelect.value) channel.post({ type: 'visionInvert', layer: invertSelect.value });
  }),
  h('label', {}, 'Dream at ', dreamSelect),
  button('Dream', 'Amplify what the layer sees in the input (DeepDream)', () => {
    if (dreamSelect.value) channel.post({ type: 'visionDream', layer: dreamSelect.value });
  }),
  cancel,
);

document.body.append(
  h('header', { class: 'toolbar' }, h('div', { class: 'titles' }, title, subtitle), controls),
  busy,
  errorBanner,
  readout,
  sections,
);

function showModel(m: VisionModelInfo): void {
  model = m;
  title.textContent = m.title;
  subtitle.textContent = `${m.classes.length} classes · ${m.layers.length} layers`;
  digitControls.hidden = m.testDigits === 0;
  digit.max = String(Math.max(0, m.testDigits - 1));
  const layerOptions = () => m.layers.map((l) => h('option', { value: l.name }, `${l.name} (${l.units})`));
  for (const select of [layerSelect, invertSelect, dreamSelect]) select.replaceChildren(...layerOptions());
  targetSelect.replaceChildren(...m.classes.map((c, i) => h('option', { value: i }, c)));
}

function showReadout(text: string | null): void {
  readout.textContent = text ?? '\u00a0';
}

/** All images of a section side by side on one canvas, for export. */
function sectionCanvas(canvases: HTMLCanvasElement[]): HTMLCanvasElement {
  const gap = 4;
  const out = document.createElement('canvas');
  out.width = canvases.reduce((w, c) => w + c.width, 0) + gap * Math.max(0, canvases.length - 1);
  out.height = Math.max(1, ...canvases.map((c) => c.height));
  const ctx = out.getContext('2d')!;
  let x = 0;
  for (const c of canvases) {
    ctx.drawImage(c, x, 0);
    x += c.width + gap;
  }
  return out;
}

function showSection(s: VisionSection): void {
  // Many small pictures (a layer's maps, a gallery) are drawn smaller than the few large ones.
  const target = s.images.length <= 4 ? 168 : 64;
  const drawn = s.images.map((image) => imageFigure(image, pictureZoom(image.width, image.height, target), showReadout));
  const element = h(
    'section',
    { class: 'vision-section', 'data-id': s.id },
    h(
      'div',
      { class: 'section-head' },
      h('h2', {}, s.title),
      button('PNG', 'Export these images as one PNG', () =>
        // pngExport only ever builds an export message, which both protocols share.
        channel.post(
          pngExport(
            sectionCanvas(drawn.map((d) => d.canvas)),
            fileName(model?.title ?? 'image model', s.title, 'png'),
            readThemeColours().background,
          ) as FromVision,
        ),
      ),
    ),
    s.note ? h('p', { class: 'note' }, s.note) : null,
    h('div', { class: 'gallery' }, ...drawn.map((d) => d.figure)),
  );
  const old = sections.querySelector(`section[data-id="${s.id}"]`);
  if (old) old.replaceWith(element);
  else sections.append(element);
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
}

channel.onMessage(parseToVision, (m) => {
  switch (m.type) {
    case 'visionModel':
      errorBanner.hidden = true;
      sections.replaceChildren();
      showModel(m.model);
      break;
    case 'visionSection':
      errorBanner.hidden = true;
      showSection(m.section);
      break;
    case 'visionBusy':
      busyText.textContent = m.message ?? '';
      busyBar.hidden = m.fraction === undefined;
      busyBar.value = m.fraction ?? 0;
      busy.hidden = m.message === null;
      cancel.hidden = m.message === null;
      break;
    case 'error':
      errorBanner.textContent = m.message;
      errorBanner.hidden = false;
      break;
  }
});

channel.post({ type: 'ready' });
