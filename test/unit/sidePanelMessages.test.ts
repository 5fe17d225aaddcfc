import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SIDE_PANEL_COMMANDS, isSidePanelCommand, parseFromSidePanel } from '../../src/shared/sidePanelMessages';

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
    ]) {
      assert.equal(parseFromSidePanel({ ...ok, ...bad }), undefined, JSON.stringify(bad));
    }
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
