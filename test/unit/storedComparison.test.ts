/**
 * The comparison panel's target as kept in workspace state for its serializer: both neurons and
 * the other model folder come back through JSON; anything malformed is refused, so a restored
 * panel asks for the command instead of comparing the wrong neurons.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStoredComparison, storedComparison } from '../../src/extension/panels/storedComparison';

const throughJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

describe('stored comparison target', () => {
  const uri = { toString: () => 'file:///w/notes.txt', path: '/w/notes.txt' };
  const twoNeurons = { uri, layer: 1, component: 'c', neuron: 7, second: { layer: 0, component: 'h', neuron: 3, units: 64 } };

  it('keeps the document, both neurons and the other model, and reads them back', () => {
    const stored = storedComparison(twoNeurons);
    assert.deepEqual(stored, {
      uri: 'file:///w/notes.txt',
      layer: 1,
      component: 'c',
      neuron: 7,
      second: { layer: 0, component: 'h', neuron: 3 },
    });
    assert.deepEqual(parseStoredComparison(throughJson(stored)), stored);

    const acrossModels = storedComparison({ ...twoNeurons, secondModel: { dir: '/w/.neuron-lens/models/seed-2', name: 'seed-2' } });
    assert.deepEqual(parseStoredComparison(throughJson(acrossModels)), {
      ...stored,
      secondModel: { dir: '/w/.neuron-lens/models/seed-2', name: 'seed-2' },
    });
  });

  it('refuses a malformed target whole', () => {
    const good = storedComparison({ ...twoNeurons, secondModel: { dir: '/m', name: 'm' } });
    const bad: [string, unknown][] = [
      ['nothing kept', undefined],
      ['not an object', 'file:///w/notes.txt'],
      ['no URI', { ...good, uri: '' }],
      ['a negative first neuron', { ...good, neuron: -1 }],
      ['a fractional layer', { ...good, layer: 0.5 }],
      ['no component', { ...good, component: '' }],
      ['no second neuron', { ...good, second: undefined }],
      ['a second neuron without its component', { ...good, second: { layer: 0, neuron: 3 } }],
      ['a second neuron index that is text', { ...good, second: { layer: 0, component: 'h', neuron: '3' } }],
      ['another model without its folder', { ...good, secondModel: { name: 'm' } }],
      ['another model with an empty name', { ...good, secondModel: { dir: '/m', name: '' } }],
      ['another model that is null', { ...good, secondModel: null }],
    ];
    for (const [what, x] of bad) assert.equal(parseStoredComparison(x), undefined, what);
  });
});
