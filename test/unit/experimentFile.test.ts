import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { EngineSession } from '../../src/engine/engineSession';
import { NeuronLensError } from '../../src/engine/errors';
import { DEFAULT_EXPERIMENT } from '../../src/engine/experiment';
import { experimentFilePath } from '../../src/extension/experimentLocation';
import { tempDir } from './helpers';

/**
 * The experiment file as the panels use it, through the engine session's protocol methods: read
 * with defaults, changed field by field, created when missing, and never overwritten when the
 * user's file does not parse.
 */
describe('experiment file requests', () => {
  const session = new EngineSession();

  test('a missing file reads as the defaults; an update creates it, folder included, with the change', async () => {
    const file = path.join(tempDir(), '.neuron-lens', 'experiment.json');
    assert.deepEqual(await session.readExperiment({ file }), { experiment: DEFAULT_EXPERIMENT, exists: false });
    const written = await session.updateExperiment({ file, changes: { features: ['?', '/[!.]/'], statistic: 'auroc' } });
    assert.deepEqual(written, { ...DEFAULT_EXPERIMENT, features: ['?', '/[!.]/'], statistic: 'auroc' });
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), written);
    assert.deepEqual(await session.readExperiment({ file }), { experiment: written, exists: true });
    // No temporary file is left next to it.
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['experiment.json']);
  });

  test('an update changes only the fields given (undefined ones are kept) and keeps $schema and model', async () => {
    const file = path.join(tempDir(), 'study.neuron-lens.json');
    fs.writeFileSync(file, JSON.stringify({ $schema: './schema.json', version: 1, model: 'models/a', topK: 3, band: [0.1, 0.2] }));
    const written = await session.updateExperiment({ file, changes: { band: [0.25, 0.5], window: 'hann', neurons: undefined } });
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(onDisk, written);
    assert.equal(onDisk.$schema, './schema.json');
    assert.equal(onDisk.model, 'models/a');
    assert.equal(onDisk.topK, 3);
    assert.deepEqual(onDisk.band, [0.25, 0.5]);
    assert.equal(onDisk.window, 'hann');
    assert.deepEqual(onDisk.neurons, []);
  });

  test('a file that is not valid JSON, or not a valid experiment, is reported and left exactly as it was', async () => {
    const dir = tempDir();
    for (const [content, why] of [
      ['{ "version": 1, "features": [" ", ', /is not valid JSON/],
      ['{ "version": 1, "featurs": [" "] }', /unknown field "featurs"/],
      ['{ "version": 1, "band": [0.3, 0.1] }', /"band" must be \[lo, hi\]/],
    ] as const) {
      const file = path.join(dir, 'experiment.json');
      fs.writeFileSync(file, content);
      const read = await session.readExperiment({ file });
      assert.equal(read.exists, true);
      assert.deepEqual(read.experiment, DEFAULT_EXPERIMENT);
      assert.match(read.problem ?? '', why);
      await assert.rejects(
        session.updateExperiment({ file, changes: { features: ['x'] } }),
        (e: unknown) => e instanceof NeuronLensError && why.test(e.message),
      );
      assert.equal(fs.readFileSync(file, 'utf8'), content);
      assert.deepEqual(fs.readdirSync(dir), ['experiment.json']);
    }
  });

  test('invalid changes are refused before anything is written; paths must be absolute', async () => {
    const file = path.join(tempDir(), 'experiment.json');
    await assert.rejects(session.updateExperiment({ file, changes: { features: ['/(/'] } }), /not a valid regular expression/);
    await assert.rejects(session.updateExperiment({ file, changes: { topK: 0 } }), /"topK" must be a positive integer/);
    await assert.rejects(session.updateExperiment({ file, changes: null as never }), /changes must be an object/);
    assert.equal(fs.existsSync(file), false);
    await assert.rejects(session.readExperiment({ file: 'experiment.json' }), /file must be an absolute path/);
    await assert.rejects(session.updateExperiment({ file: '', changes: {} }), /file must not be empty/);
  });

  test('concurrent updates are applied one after the other: none is lost', async () => {
    const file = path.join(tempDir(), 'experiment.json');
    await Promise.all([
      session.updateExperiment({ file, changes: { features: ['a'] } }),
      session.updateExperiment({ file, changes: { topK: 7 } }),
      session.updateExperiment({ file, changes: { window: 'hann' } }),
    ]);
    const { experiment } = await session.readExperiment({ file });
    assert.deepEqual([experiment.features, experiment.topK, experiment.window], [['a'], 7, 'hann']);
  });
});

describe('where the experiment file is', () => {
  const root = path.resolve('/work/space');
  const storage = path.resolve('/storage');

  test('relative to the workspace folder, or absolute', () => {
    assert.equal(experimentFilePath('.neuron-lens/experiment.json', root, storage), path.join(root, '.neuron-lens', 'experiment.json'));
    assert.equal(experimentFilePath('  studies/a.neuron-lens.json ', root, storage), path.join(root, 'studies', 'a.neuron-lens.json'));
    assert.equal(experimentFilePath(path.resolve('/elsewhere/x.json'), root, storage), path.resolve('/elsewhere/x.json'));
  });

  test('in the extension storage without a workspace folder; the default when the setting is empty', () => {
    assert.equal(
      experimentFilePath('.neuron-lens/experiment.json', undefined, storage),
      path.join(storage, '.neuron-lens', 'experiment.json'),
    );
    assert.equal(experimentFilePath('', root, storage), path.join(root, '.neuron-lens', 'experiment.json'));
  });
});
