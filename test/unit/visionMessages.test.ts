import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFromVision, parseToVision } from '../../src/shared/visionMessages';

/** The image panel's message checks: what the extension accepts from the page, and what the page accepts. */
describe('vision messages', () => {
  test('requests from the page pass with their fields; malformed ones are dropped', () => {
    assert.deepEqual(parseFromVision({ type: 'visionDigit', index: 12, extra: 'x' }), { type: 'visionDigit', index: 12 });
    assert.deepEqual(parseFromVision({ type: 'visionMaximize', layer: 'conv2' }), { type: 'visionMaximize', layer: 'conv2' });
    assert.deepEqual(parseFromVision({ type: 'visionFool', target: 3 }), { type: 'visionFool', target: 3 });
    assert.deepEqual(parseFromVision({ type: 'visionOpenImage', path: '/etc/passwd' }), { type: 'visionOpenImage' });
    assert.deepEqual(parseFromVision({ type: 'visionInvert', layer: 'pool1', steps: 1e9 }), { type: 'visionInvert', layer: 'pool1' });
    assert.deepEqual(parseFromVision({ type: 'visionDream', layer: 'conv1' }), { type: 'visionDream', layer: 'conv1' });
    for (const bad of [
      null,
      { type: 'visionDigit', index: -1 },
      { type: 'visionDigit', index: 1.5 },
      { type: 'visionMaximize', layer: '' },
      { type: 'visionFool', target: '3' },
      { type: 'visionInvert', layer: '' },
      { type: 'visionInvert' },
      { type: 'visionDream', layer: 'x'.repeat(201) },
      { type: 'visionDream', layer: ['conv1'] },
      { type: 'export', format: 'png', name: '../x.png', content: 'data:' },
      { type: 'loadModel', dir: '/' },
    ])
      assert.equal(parseFromVision(bad), undefined, JSON.stringify(bad));
  });

  test('a section passes only when every image has as many pixels as width × height × channels', () => {
    const image = { label: 'a', width: 2, height: 3, channels: 1, range: [0, 1], pixels: new Float32Array(6) };
    const section = { id: 'layer-conv1', title: 'conv1', images: [image] };
    assert.equal(parseToVision({ type: 'visionSection', section })?.type, 'visionSection');
    for (const wrong of [
      { ...image, pixels: new Float32Array(5) },
      { ...image, channels: 3 },
      { ...image, pixels: Array.from({ length: 6 }, () => 0) },
      { ...image, width: 0, pixels: new Float32Array(0) },
      { ...image, range: [0, Number.NaN] },
    ])
      assert.equal(parseToVision({ type: 'visionSection', section: { ...section, images: [wrong] } }), undefined);
    assert.equal(parseToVision({ type: 'visionSection', section: { ...section, id: 'a"]' } }), undefined);
  });

  test('a busy message carries an optional fraction from 0 to 1; anything else is dropped', () => {
    assert.deepEqual(parseToVision({ type: 'visionBusy', message: 'Inverting…', fraction: 0.25 }), {
      type: 'visionBusy',
      message: 'Inverting…',
      fraction: 0.25,
    });
    assert.deepEqual(parseToVision({ type: 'visionBusy', message: null }), { type: 'visionBusy', message: null });
    for (const fraction of [-0.1, 1.5, Number.NaN, '0.5', null])
      assert.equal(parseToVision({ type: 'visionBusy', message: 'x', fraction }), undefined, String(fraction));
  });
});
