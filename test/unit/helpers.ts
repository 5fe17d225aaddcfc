import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeArchitecture } from '../../src/engine/architecture';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { LanguageModel } from '../../src/engine/languageModel';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { type TokenLevel, tokenize } from '../../src/engine/tokenizer';
import { Vocabulary } from '../../src/engine/vocabulary';

export const SMALL_TEXT = 'the cat sat on the mat. the dog sat on the log. a cat and a dog sat on a mat and a log.\n'.repeat(12);

export function tinyModel(cell: CellKind = 'lstm', level: TokenLevel = 'char', seed = 3, hiddenSize = 8, numLayers = 1) {
  const vocabulary = Vocabulary.build(tokenize(SMALL_TEXT, level).map((t) => t.text));
  const tokenizer = new ModelTokenizer(level, vocabulary);
  const model = LanguageModel.initialize(makeArchitecture({ cell, level, vocabSize: vocabulary.size, hiddenSize, numLayers }), seed);
  return { model, tokenizer };
}

export function tempDir(prefix = 'neuron-lens-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
