import { LIMITS } from '../../engine/architecture';
import { importLayersModelToFolder } from '../../engine/layersImport';
import { TOKEN_LEVELS, type TokenLevel } from '../../engine/tokenizer';
import { type Values, num, required, str } from '../args';
import type { CommandContext } from '../context';
import { NeuronLensError } from '../../engine/errors';

export const IMPORT_OPTIONS = {
  'layers-model': { type: 'string' },
  vocab: { type: 'string' },
  level: { type: 'string' },
  classes: { type: 'string' },
  'max-tokens': { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMPORT_HELP = `neuron-lens import --layers-model PATH/model.json [--vocab FILE] [--level char|word] [--classes FILE] [--max-tokens N] --out DIR [--json]
  Imports a TensorFlow.js Layers model (tensorflowjs_converter output of a Keras model, or
  tfjs-layers' model.save): [Embedding] → SimpleRNN | LSTM | GRU (stacked, one kind) → either
  Dense over the vocabulary (a language model) or, for a classifier, a last recurrent layer with
  return_sequences false or GlobalAveragePooling1D, then Dense(classes) softmax or Dense(1)
  sigmoid (two classes); Dropout ignored. Writes a Neuron Lens model folder DIR (new or empty)
  that info, activations, generate, relevance, fourier, report (and classify) read.
  --vocab   a Keras Tokenizer JSON (tokenizer.to_json(): word_index id i → token i; Keras' padding
            id 0 becomes <unk>), a {token: id} JSON, a JSON list or a file with one token per
            line (line i → id i, line 0 reserved). Without it, tokens are named <unused-i>.
  --level   char or word tokens (default: the Tokenizer's char_level, else guessed from the vocabulary)
  --classes class names in output-unit order: a JSON list or one name per line (default
            "class 0", "class 1", …; one name for a sigmoid model: "not NAME", NAME). Also imports
            a model whose output is as wide as its vocabulary as a classifier.
  --max-tokens N   tokens a classifier reads (default: the Keras input length, else 128)`;

export async function importCommand(v: Values, ctx: CommandContext): Promise<number> {
  const modelJson = required(v, 'layers-model', 'the model.json of a TensorFlow.js Layers model');
  const out = required(v, 'out', 'the folder to write the imported model to');
  const levelText = str(v, 'level');
  if (levelText !== undefined && !TOKEN_LEVELS.includes(levelText as TokenLevel)) {
    throw new NeuronLensError(`--level must be one of ${TOKEN_LEVELS.join(', ')}, not "${levelText}"`);
  }
  const result = await importLayersModelToFolder({
    modelJson,
    vocab: str(v, 'vocab'),
    level: levelText as TokenLevel | undefined,
    classes: str(v, 'classes'),
    maxTokens: num(v, 'max-tokens', undefined, { int: true, min: 1, max: LIMITS.maxTokens }),
    out,
  });
  if (v.json === true) {
    ctx.io.out(JSON.stringify(result));
  } else {
    ctx.io.out(`Imported ${result.description}`);
    for (const line of result.mapping) ctx.io.out(`  ${line}`);
    for (const note of result.notes) ctx.io.err(`note: ${note}`);
    ctx.io.out(`Saved to ${result.dir}`);
  }
  return 0;
}
