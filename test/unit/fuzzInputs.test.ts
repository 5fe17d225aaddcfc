/**
 * Fuzz tests of the other untrusted inputs (issue 7): experiment files and the messages webviews
 * send. Seeded and bounded; every input is either accepted as a well-formed value or refused
 * cleanly (a NeuronLensError naming the file, or `undefined` for a message), never a crash.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { NeuronLensError } from '../../src/engine/errors';
import { DEFAULT_EXPERIMENT, loadExperimentFile, parseExperiment, readExperiment, updateExperimentFile } from '../../src/engine/experiment';
import { parseFromWebview } from '../../src/shared/panelMessages';
import { isRelevanceStatistic } from '../../src/shared/relevanceStatistics';
import { SIDE_PANEL_COMMANDS, parseFromSidePanel } from '../../src/shared/sidePanelMessages';
import { tempDir } from './helpers';

const SEED = Number(process.env.FUZZ_SEED ?? 20240607);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 12_000);

const nasty = fc.oneof(
  fc.constantFrom(
    null,
    -1,
    0,
    1e308,
    -0,
    2 ** 53,
    0.25,
    0.5,
    0.6,
    '',
    'toString',
    '__proto__',
    'constructor',
    'hann',
    'none',
    'auroc',
    true,
    [],
    {},
  ),
  fc.string({ maxLength: 30 }),
  fc.double(),
  fc.integer(),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 1e6 }), fc.double(), fc.string({ maxLength: 8 })), { maxLength: 6 }),
  fc.constantFrom('/(a+)+$/', '/[/', '/x/g', '/./su', '.', ' ', '/\\d+/'),
  fc.jsonValue({ maxDepth: 3 }),
);
const fieldNames = [...Object.keys(DEFAULT_EXPERIMENT), 'model', '$schema', 'extra', '__proto__'];
/** Experiments close to valid: the defaults with a few fields replaced, removed or added. */
const experimentLike = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...fieldNames), fc.option(nasty, { nil: undefined })), { maxLength: 4 }), fc.boolean())
  .map(([changes, fromDefaults]) => {
    const e: Record<string, unknown> = fromDefaults ? { ...DEFAULT_EXPERIMENT } : {};
    for (const [k, v] of changes) {
      if (v === undefined) delete e[k];
      else Object.defineProperty(e, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return e;
  });

function checkExperiment(e: unknown, source: string): void {
  try {
    const x = parseExperiment(e, source);
    // What parses must be what the panels and the CLI can use as it is.
    assert.ok(isRelevanceStatistic(x.statistic), `statistic ${String(x.statistic)}`);
    assert.ok(Number.isInteger(x.layer) && x.layer >= 0);
    assert.ok(Array.isArray(x.features) && x.features.every((f) => typeof f === 'string'));
    assert.ok(Number.isInteger(x.topK) && x.topK >= 1);
    assert.ok(x.band[0] >= 0 && x.band[0] <= x.band[1] && x.band[1] <= 0.5);
  } catch (err) {
    if (!(err instanceof NeuronLensError)) throw err;
    assert.ok(err.message.startsWith(`${source}: `), err.message);
    assert.ok(err.message.length < 1000, `message of ${err.message.length} characters`);
  }
}

describe('fuzz: experiment files', () => {
  const dir = tempDir('neuron-lens-fuzz-experiment-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test(`parseExperiment on near-valid and arbitrary JSON (seed ${SEED})`, () => {
    const start = Date.now();
    fc.assert(
      fc.property(fc.oneof(experimentLike, experimentLike, fc.jsonValue()), (e) => {
        checkExperiment(e, 'exp.json');
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
    console.log(`# fuzz parseExperiment: ${Date.now() - start} ms`);
  });

  test('statistics named like Object.prototype members are refused', () => {
    for (const statistic of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      assert.throws(() => parseExperiment({ statistic }, 'x.json'), /x\.json: "statistic" must be one of/);
    }
  });

  test(`readExperiment and updateExperimentFile on damaged files (seed ${SEED})`, async () => {
    const file = path.join(dir, 'experiment.json');
    const valid = Buffer.from(JSON.stringify(DEFAULT_EXPERIMENT, null, 2));
    const start = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.nat(valid.length), fc.nat(255), fc.nat(valid.length)).map(([at, byte, cut]) => {
            const b = Buffer.from(valid);
            b[at % b.length] = byte;
            return b.subarray(0, Math.max(cut, at));
          }),
          experimentLike.map((e) => {
            try {
              return Buffer.from(JSON.stringify(e));
            } catch {
              return Buffer.from('{}');
            }
          }),
          fc.constant(Buffer.from('['.repeat(200_000) + ']'.repeat(200_000))),
          fc.constant(Buffer.from(`{"version":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)),
        ),
        async (bytes) => {
          fs.writeFileSync(file, bytes);
          try {
            readExperiment(file);
          } catch (err) {
            if (!(err instanceof NeuronLensError)) throw err;
            assert.ok(err.message.includes(file), err.message);
          }
          const state = loadExperimentFile(file);
          assert.equal(state.exists, true);
          try {
            await updateExperimentFile(file, { topK: 3 });
            assert.equal(readExperiment(file).topK, 3);
          } catch (err) {
            if (!(err instanceof NeuronLensError)) throw err;
            // A file that does not parse is left exactly as it was.
            assert.deepEqual(fs.readFileSync(file), bytes);
          }
        },
      ),
      { seed: SEED, numRuns: Math.min(RUNS, 1500), interruptAfterTimeLimit: BUDGET_MS / 2, markInterruptAsFailure: false },
    );
    console.log(`# fuzz experiment files: ${Date.now() - start} ms`);
  });

  test('an experiment path that is a folder, or far too large, fails with a message naming it', () => {
    const sub = path.join(dir, 'folder.json');
    fs.mkdirSync(sub);
    assert.throws(
      () => readExperiment(sub),
      (e: unknown) => e instanceof NeuronLensError && e.message.includes(sub),
    );
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 64 * 1024 * 1024);
    assert.throws(
      () => readExperiment(big),
      (e: unknown) => e instanceof NeuronLensError && e.message.includes(big) && /larger than/.test(e.message),
    );
  });
});

describe('fuzz: webview messages', () => {
  const panelTypes = [
    'ready',
    'highlightNeuron',
    'revealToken',
    'setFeatures',
    'setStatistic',
    'setSpectrumOptions',
    'export',
    'selectNeuron',
    'runCommand',
    'constructor',
  ];
  const fields = [
    'type',
    'neuron',
    'index',
    'features',
    'statistic',
    'band',
    'window',
    'scale',
    'neurons',
    'format',
    'name',
    'content',
    'layer',
    'component',
    'command',
  ];
  const value = fc.oneof(
    nasty,
    fc.constantFrom(
      ...panelTypes,
      ...SIDE_PANEL_COMMANDS,
      'workbench.action.terminal.new',
      'png',
      'csv',
      '../../x.csv',
      'a.csv',
      'h',
      'H',
      [0.1, 0.2],
      [0.3, 0.1],
    ),
    fc.array(fc.string({ maxLength: 3 }), { maxLength: 70 }),
    fc.array(fc.nat(), { maxLength: 10 }),
  );
  const message = fc.oneof(
    fc
      .dictionary(fc.constantFrom(...fields), value, { maxKeys: 6 })
      .map((m) => ({ type: fc.sample(fc.constantFrom(...panelTypes), { seed: Object.keys(m).length, numRuns: 1 })[0], ...m })),
    fc
      .record({ type: fc.constantFrom(...panelTypes) }, { requiredKeys: [] })
      .chain((base) => fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: 5 }).map((m) => ({ ...m, ...base }))),
    fc.anything(),
  );

  test(`parseFromWebview and parseFromSidePanel accept only well-formed messages (seed ${SEED})`, () => {
    const start = Date.now();
    const accepted = { panel: 0, side: 0 };
    fc.assert(
      fc.property(message, (m) => {
        const p = parseFromWebview(m);
        if (p) {
          accepted.panel++;
          // An accepted message is a fresh, plain value of its declared shape.
          assert.ok(panelTypes.includes(p.type));
          assert.notEqual(p, m);
          if (p.type === 'highlightNeuron') assert.ok(Number.isInteger(p.neuron) && p.neuron >= 0);
          if (p.type === 'revealToken') assert.ok(Number.isInteger(p.index) && p.index >= 0);
          if (p.type === 'setFeatures') assert.ok(p.features.every((f) => typeof f === 'string' && f.length > 0));
          if (p.type === 'setStatistic') assert.equal(typeof p.statistic, 'string');
          if (p.type === 'setSpectrumOptions') assert.ok(p.band[0] <= p.band[1] && ['none', 'hann'].includes(p.window));
          if (p.type === 'export') assert.match(p.name, /^[\w .-]+$/);
        }
        const s = parseFromSidePanel(m);
        if (s) {
          accepted.side++;
          if (s.type === 'runCommand') assert.ok((SIDE_PANEL_COMMANDS as readonly string[]).includes(s.command));
          if (s.type === 'selectNeuron') assert.match(s.component, /^(?:backward\/)?[a-z]{1,16}$/);
        }
      }),
      { seed: SEED, numRuns: RUNS * 3, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
    assert.ok(accepted.panel > 0 && accepted.side > 0, JSON.stringify(accepted));
    console.log(`# fuzz webview messages: ${Date.now() - start} ms, accepted ${JSON.stringify(accepted)}`);
  });

  test('export names cannot leave the folder; runCommand only reaches the allow-list', () => {
    for (const name of ['../x.csv', '/etc/x', 'a/b.csv', 'a\\b.csv', '']) {
      assert.equal(parseFromWebview({ type: 'export', format: 'csv', name, content: 'x' }), undefined, name);
    }
    assert.equal(parseFromSidePanel({ type: 'runCommand', command: 'workbench.action.terminal.new' }), undefined);
    assert.equal(parseFromSidePanel({ type: 'runCommand', command: 'toString' }), undefined);
  });
});
