import { BACKEND_CHOICES, type BackendChoice, initBackend } from '../engine/backend';
import { NeuronLensError, isNeuronLensError } from '../engine/errors';
import { enableRegexBacktrackingGuard } from '../engine/regexBacktrackingGuard';
import { type OptionSpec, type Values, oneOf, parse } from './args';
import { ACTIVATIONS_HELP, ACTIVATIONS_OPTIONS, activationsCommand } from './commands/activations';
import { DEMO_HELP, DEMO_OPTIONS, demoCommand } from './commands/demo';
import { FOURIER_HELP, FOURIER_OPTIONS, fourierCommand } from './commands/fourier';
import { GENERATE_HELP, GENERATE_OPTIONS, generateCommand } from './commands/generate';
import { IMPORT_HELP, IMPORT_OPTIONS, importCommand } from './commands/import';
import { INFO_HELP, INFO_OPTIONS, infoCommand } from './commands/info';
import { RELEVANCE_HELP, RELEVANCE_OPTIONS, relevanceCommand } from './commands/relevance';
import { REPORT_HELP, REPORT_OPTIONS, reportCommand } from './commands/report';
import { TRAIN_HELP, TRAIN_OPTIONS, trainCommand } from './commands/train';
import type { CommandContext } from './context';
import { type Output, processOutput } from './output';

interface Command {
  options: OptionSpec;
  help: string;
  run: (v: Values, ctx: CommandContext) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  train: { options: TRAIN_OPTIONS, help: TRAIN_HELP, run: trainCommand },
  activations: { options: ACTIVATIONS_OPTIONS, help: ACTIVATIONS_HELP, run: activationsCommand },
  generate: { options: GENERATE_OPTIONS, help: GENERATE_HELP, run: generateCommand },
  relevance: { options: RELEVANCE_OPTIONS, help: RELEVANCE_HELP, run: relevanceCommand },
  fourier: { options: FOURIER_OPTIONS, help: FOURIER_HELP, run: fourierCommand },
  report: { options: REPORT_OPTIONS, help: REPORT_HELP, run: reportCommand },
  info: { options: INFO_OPTIONS, help: INFO_HELP, run: infoCommand },
  import: { options: IMPORT_OPTIONS, help: IMPORT_HELP, run: importCommand },
  demo: { options: DEMO_OPTIONS, help: DEMO_HELP, run: demoCommand },
};

const USAGE = `neuron-lens: train small recurrent language models and see what their neurons do

Commands:
  train        train an RNN/LSTM/GRU language model (default: char LSTM on Moby-Dick)
  activations  per-token activations of a layer/component for a text or file
  generate     sample text, coloured by one neuron
  relevance    rank neurons by how they respond to features of interest (" ", ".", /regex/)
  fourier      spectra of neuron activity over tokens, peaks, band-of-interest ranking
  report       HTML report: relevance, coloured text, heatmap and spectra for a text
  info         describe and validate a model folder
  import       import a Keras / TensorFlow.js Layers RNN, LSTM or GRU language model
  demo         train (or reuse) a small model, print coloured text, write an HTML report

Common options: --backend auto|tensorflow|wasm|cpu  --json  --verbose  --no-color  --help
Run "neuron-lens COMMAND --help" for a command's options.`;

export async function main(argv: string[], io?: Output): Promise<number> {
  const [name, ...rest] = argv;
  const noColor = rest.includes('--no-color');
  const output = io ?? processOutput(noColor);
  enableRegexBacktrackingGuard();
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      output.out(USAGE);
      return name ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (!command) throw new NeuronLensError(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}`);
    const values = parse(rest, command.options);
    if (values.help) {
      output.out(command.help);
      return 0;
    }
    const backend = await initBackend(oneOf<BackendChoice>(values, 'backend', BACKEND_CHOICES, 'auto'));
    const verbose = values.verbose === true;
    if (verbose) output.err(`backend: ${backend}`);
    return await command.run(values, { io: output, backend, verbose });
  } catch (e) {
    if (isNeuronLensError(e)) {
      output.err(`neuron-lens: ${e.message}`);
      return e.code === 'cancelled' ? 130 : 1;
    }
    output.err(`neuron-lens: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 70;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`neuron-lens: internal error: ${String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
