import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SIDE_PANEL_COMMANDS,
  type SidePanelModel,
  type SidePanelNeurons,
  isSidePanelCommand,
  parseFromSidePanel,
  parseToSidePanel,
} from '../../src/shared/sidePanelMessages';

/**
 * The side panel's messages are untrusted input: a compromised page must not reach commands off
 * the allow-list, nor pass malformed neurons on to the selection.
 */
describe('side panel message validation', () => {
  test('ready, a neuron and every allowed command pass, rebuilt with only their known fields', () => {
    assert.deepEqual(parseFromSidePanel({ type: 'ready', extra: 1 }), { type: 'ready' });
    assert.deepEqual(parseFromSidePanel({ type: 'selectNeuron', layer: 1, component: 'pre', neuron: 1023, evil: '<script>' }), {
      type: 'selectNeuron',
      layer: 1,
      component: 'pre',
      neuron: 1023,
    });
    for (const command of SIDE_PANEL_COMMANDS) {
      assert.deepEqual(parseFromSidePanel({ type: 'runCommand', command, args: ['/etc/passwd'] }), { type: 'runCommand', command });
    }
  });

  test('the allow-list holds the panel’s analyses and nothing that takes paths or runs programs', () => {
    assert.deepEqual([...SIDE_PANEL_COMMANDS].sort(), [
      'neuronLens.findNeuronsForSelection',
      'neuronLens.generateText',
      'neuronLens.highlightActiveFile',
      'neuronLens.loadModel',
      'neuronLens.openExperimentFile',
      'neuronLens.showHeatmap',
      'neuronLens.showSpectra',
      'neuronLens.showTrainingCurves',
      'neuronLens.trainModel',
    ]);
    for (const command of [
      'workbench.action.terminal.new',
      'vscode.open',
      'neuronLens.saveModelAs',
      'neuronLens.selectNeuron',
      'neuronLens.trainModel ',
      'NEURONLENS.TRAINMODEL',
      'constructor',
      '__proto__',
      '',
      42,
      undefined,
      ['neuronLens.trainModel'],
    ]) {
      assert.equal(isSidePanelCommand(command), false, String(command));
      assert.equal(parseFromSidePanel({ type: 'runCommand', command }), undefined, String(command));
    }
  });

  test('neurons must be whole, non-negative, in range, with a plain component id', () => {
    const ok = { type: 'selectNeuron', layer: 0, component: 'h', neuron: 3 };
    assert.ok(parseFromSidePanel(ok));
    for (const bad of [
      { neuron: -1 },
      { neuron: 1.5 },
      { neuron: '3' },
      { neuron: Number.NaN },
      { neuron: Infinity },
      { neuron: 1e12 },
      { neuron: undefined },
      { layer: -1 },
      { layer: 0.5 },
      { layer: null },
      { component: '' },
      { component: 'H' },
      { component: 'h; rm -rf' },
      { component: 'a'.repeat(17) },
      { component: ['h'] },
      { component: undefined },
      { component: 'backward/' },
      { component: 'backward/backward/h' },
      { component: 'forward/h' },
      { component: '../h' },
    ]) {
      assert.equal(parseFromSidePanel({ ...ok, ...bad }), undefined, JSON.stringify(bad));
    }
  });

  test('a bidirectional layer’s backward component passes, as the panel’s selectors offer it', () => {
    assert.deepEqual(parseFromSidePanel({ type: 'selectNeuron', layer: 0, component: 'backward/h', neuron: 2 }), {
      type: 'selectNeuron',
      layer: 0,
      component: 'backward/h',
      neuron: 2,
    });
  });

  test('anything that is not a known message is dropped', () => {
    for (const m of [
      null,
      undefined,
      'ready',
      7,
      [],
      [{ type: 'ready' }],
      {},
      { type: 'highlightNeuron', neuron: 1 },
      { type: 'export' },
    ]) {
      assert.equal(parseFromSidePanel(m), undefined, JSON.stringify(m));
    }
  });
});

const MODEL: SidePanelModel = {
  name: 'lstm-char',
  dir: '/work/models/lstm-char',
  cell: 'lstm',
  level: 'char',
  layers: [8, 8],
  parameters: 1234,
  vocabulary: 65,
  components: [
    { id: 'h', label: 'hidden state' },
    { id: 'backward/h', label: 'backward hidden state' },
  ],
  backwardLayers: [0],
  training: {
    corpus: 'moby-dick',
    steps: 300,
    targetSteps: 300,
    completed: true,
    validationBits: 2.1,
    unigramEntropyBits: 4.3,
    backend: 'wasm',
  },
  backend: 'wasm',
};

/** 3 neurons × 4 points, as neuronActivity sends them for a 10-token file. */
const NEURONS: SidePanelNeurons = {
  document: 'notes.txt',
  layer: 1,
  component: 'h',
  units: 3,
  tokens: 10,
  truncated: false,
  points: 4,
  sparklines: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 2),
  lo: -1,
  hi: 1,
  baseline: 0,
  mean: Float32Array.of(0.1, -0.2, 0.3),
  std: Float32Array.of(0.5, 0.4, 0.3),
};

/** What the side panel page accepts from the extension: only well-formed data, drawn as sent. */
describe('side panel page messages', () => {
  test('every kind of message passes unchanged', () => {
    const valid = [
      { type: 'model', model: MODEL },
      { type: 'model', model: null },
      { type: 'model', model: null, loading: 'moby-lstm' },
      { type: 'selection', selection: { layer: 1, component: 'backward/h', neuron: 7 } },
      { type: 'selection', selection: null },
      { type: 'features', features: [' ', '/[?!]/'], file: '.neuron-lens/experiment.json', exists: true },
      { type: 'features', features: [], file: 'x.json', exists: true, problem: 'unknown field "featurs"' },
      { type: 'neurons', data: NEURONS },
      { type: 'neurons', data: { ...NEURONS, tokens: 0, points: 0, sparklines: new Float32Array(0) } },
      { type: 'neuronsStatus', message: 'Reading notes.txt…', busy: true },
    ];
    for (const m of valid) assert.deepEqual(parseToSidePanel(m), m, JSON.stringify(m));
  });

  test('fields the extension left undefined (no folder, no training record) are left out, not passed on', () => {
    const { dir: _dir, training: _training, backwardLayers: _backward, backend: _backend, ...bare } = MODEL;
    const sent = { ...bare, dir: undefined, training: undefined, backwardLayers: undefined, backend: undefined };
    assert.deepEqual(parseToSidePanel({ type: 'model', model: sent }), { type: 'model', model: bare });
  });

  test('a malformed model, selection, feature list, neuron list or status is refused', () => {
    const t = MODEL.training!;
    const n = NEURONS;
    const wrong: [string, unknown][] = [
      ['no layers', { type: 'model', model: { ...MODEL, layers: [] } }],
      ['a layer without units', { type: 'model', model: { ...MODEL, layers: [8, 0] } }],
      ['fractional units', { type: 'model', model: { ...MODEL, layers: [8, 2.5] } }],
      ['a backward layer that does not exist', { type: 'model', model: { ...MODEL, backwardLayers: [2] } }],
      ['a negative parameter count', { type: 'model', model: { ...MODEL, parameters: -1 } }],
      ['no components', { type: 'model', model: { ...MODEL, components: [] } }],
      ['a component id with markup', { type: 'model', model: { ...MODEL, components: [{ id: '<h>', label: 'h' }] } }],
      ['a NaN validation loss', { type: 'model', model: { ...MODEL, training: { ...t, validationBits: Number.NaN } } }],
      ['steps as text', { type: 'model', model: { ...MODEL, training: { ...t, steps: '300' } } }],
      ['completed as a number', { type: 'model', model: { ...MODEL, training: { ...t, completed: 1 } } }],
      ['a name that is not text', { type: 'model', model: { ...MODEL, name: 7 } }],
      ['loading that is not text', { type: 'model', model: null, loading: true }],
      ['a missing model', { type: 'model' }],
      ['a negative neuron', { type: 'selection', selection: { layer: 0, component: 'h', neuron: -1 } }],
      ['a fractional layer', { type: 'selection', selection: { layer: 0.5, component: 'h', neuron: 1 } }],
      ['an unknown component form', { type: 'selection', selection: { layer: 0, component: 'H', neuron: 1 } }],
      ['a feature that is not text', { type: 'features', features: [' ', 3], file: 'x.json', exists: true }],
      ['exists as text', { type: 'features', features: [], file: 'x.json', exists: 'yes' }],
      ['sparklines one short', { type: 'neurons', data: { ...n, sparklines: new Float32Array(11) } }],
      ['sparklines as a Float64Array', { type: 'neurons', data: { ...n, sparklines: Float64Array.from(n.sparklines) } }],
      ['sparklines as a plain array', { type: 'neurons', data: { ...n, sparklines: Array.from(n.sparklines) } }],
      ['one mean too many', { type: 'neurons', data: { ...n, mean: new Float32Array(4) } }],
      ['spread as a plain array', { type: 'neurons', data: { ...n, std: [0.5, 0.4, 0.3] } }],
      [
        'no units',
        { type: 'neurons', data: { ...n, units: 0, sparklines: new Float32Array(0), mean: new Float32Array(0), std: new Float32Array(0) } },
      ],
      ['more points than tokens', { type: 'neurons', data: { ...n, tokens: 3 } }],
      ['a NaN axis', { type: 'neurons', data: { ...n, hi: Number.NaN } }],
      ['an upside-down axis', { type: 'neurons', data: { ...n, lo: 1, hi: -1 } }],
      ['truncated as a number', { type: 'neurons', data: { ...n, truncated: 0 } }],
      ['busy missing', { type: 'neuronsStatus', message: 'Reading…' }],
      ['a status that is not text', { type: 'neuronsStatus', message: null, busy: false }],
      ['a panel message', { type: 'heatmap', data: {} }],
      ['a message of the page’s own', { type: 'runCommand', command: 'neuronLens.trainModel' }],
      ['no type', { model: MODEL }],
      ['not an object', 'model'],
    ];
    for (const [what, m] of wrong) assert.equal(parseToSidePanel(m), undefined, what);
  });
});
