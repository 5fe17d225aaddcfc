import { importLayersModelToFolder } from '../../engine/layersImport';
import { TOKEN_LEVELS, type TokenLevel } from '../../engine/tokenizer';
import { type Values, required, str } from '../args';
import type { CommandContext } from '../context';
import { NeuronLensError } from '../../engine/errors';

export const IMPORT_OPTIONS = {
  'layers-model': { type: 'string' },
  vocab: { type: 'string' },
  level: { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMPORT_HELP = `neuron-lens import --layers-model PATH/model.json [--vocab FILE] [--level char|word] --out DIR [--json]
  Imports a TensorFlow.js Layers model (tensorflowjs_converter output of a Keras model, or
  tfjs-layers' model.save): [Embedding] → SimpleRNN | LSTM | GRU (stacked, one kind) → Dense over
  the vocabulary, Dropout ignored. Writes a Neuron Lens model folder DIR (new or empty) that info,
  activations, generate, relevance, fourier and report read.
  --vocab   a Keras Tokenizer JSON (tokenizer.to_json(): word_index id i → token i; Keras' padding
            id 0 becomes <unk>), a {token: id} JSON, a JSON list or a file with one token per
            line (line i → id i, line 0 reserved). Without it, tokens are named <unused-i>.
  --level   char or word tokens (default: the Tokenizer's char_level, else guessed from the vocabulary)`;

export async function importCommand(v: Values, ctx: CommandContext): Promise<number> {
  const modelJson = required(v, 'layers-model', 'the model.json of a TensorFlow.js Layers model');
  const out = required(v, 'out', 'the folder to write the imported model to');
  const levelText = str(v, 'level');
  if (levelText !== undefined && !TOKEN_LEVELS.includes(levelText as TokenLevel)) {
    throw new NeuronLensError(`--level must be one of ${TOKEN_LEVELS.join(', ')}, not "${levelText}"`);
  }
  const result = await importLayersModelToFolder({ modelJson, vocab: str(v, 'vocab'), level: levelText as TokenLevel | undefined, out });
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
