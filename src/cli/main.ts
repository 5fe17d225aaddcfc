import { BACKEND_CHOICES, type BackendChoice, initBackend } from '../engine/backend';
import { NeuronLensError, isNeuronLensError } from '../engine/errors';
import { enableRegexBacktrackingGuard } from '../engine/regexBacktrackingGuard';
import { type OptionSpec, type Values, oneOf, parse } from './args';
import { ACTIVATIONS_HELP, ACTIVATIONS_OPTIONS, activationsCommand } from './commands/activations';
import { CLASSIFY_HELP, CLASSIFY_OPTIONS, classifyCommand } from './commands/classify';
import { CLUSTERS_HELP, CLUSTERS_OPTIONS, clustersCommand } from './commands/clusters';
import { COMPARE_HELP, COMPARE_OPTIONS, compareCommand } from './commands/compare';
import { CONTEXTS_HELP, CONTEXTS_OPTIONS, contextsCommand } from './commands/contexts';
import { DEMO_HELP, DEMO_OPTIONS, demoCommand } from './commands/demo';
import { FOURIER_HELP, FOURIER_OPTIONS, fourierCommand } from './commands/fourier';
import { GENERATE_HELP, GENERATE_OPTIONS, generateCommand } from './commands/generate';
import { HISTORY_HELP, HISTORY_OPTIONS, historyCommand } from './commands/history';
import { IMPORT_HELP, IMPORT_OPTIONS, importCommand } from './commands/import';
import { IMAGE_ACTIVATIONS_HELP, IMAGE_ACTIVATIONS_OPTIONS, imageActivationsCommand } from './commands/imageActivations';
import { IMAGE_DREAM_HELP, IMAGE_DREAM_OPTIONS, imageDreamCommand } from './commands/imageDream';
import { IMAGE_FOOL_HELP, IMAGE_FOOL_OPTIONS, imageFoolCommand } from './commands/imageFool';
import { IMAGE_INVERT_HELP, IMAGE_INVERT_OPTIONS, imageInvertCommand } from './commands/imageInvert';
import { IMAGE_MAXIMIZE_HELP, IMAGE_MAXIMIZE_OPTIONS, imageMaximizeCommand } from './commands/imageMaximize';
import { IMAGE_SALIENCY_HELP, IMAGE_SALIENCY_OPTIONS, imageSaliencyCommand } from './commands/imageSaliency';
import { IMAGE_TRAIN_HELP, IMAGE_TRAIN_OPTIONS, imageTrainCommand } from './commands/imageTrain';
import { FOOL_HELP, FOOL_OPTIONS, foolCommand } from './commands/fool';
import { INFO_HELP, INFO_OPTIONS, infoCommand } from './commands/info';
import { INTERVENE_HELP, INTERVENE_OPTIONS, interveneCommand } from './commands/intervene';
import { NEIGHBOURS_HELP, NEIGHBOURS_OPTIONS, neighboursCommand } from './commands/neighbours';
import { INVERT_HELP, INVERT_OPTIONS, invertCommand } from './commands/invert';
import { MAXIMIZE_HELP, MAXIMIZE_OPTIONS, maximizeCommand } from './commands/maximize';
import { RELEVANCE_HELP, RELEVANCE_OPTIONS, relevanceCommand } from './commands/relevance';
import { REPORT_HELP, REPORT_OPTIONS, reportCommand } from './commands/report';
import { SEARCH_HELP, SEARCH_OPTIONS, searchCommand } from './commands/search';
import { SALIENCY_HELP, SALIENCY_OPTIONS, saliencyCommand } from './commands/saliency';
import { TRAIN_HELP, TRAIN_OPTIONS, trainCommand } from './commands/train';
import { TRAIN_CLASSIFIER_HELP, TRAIN_CLASSIFIER_OPTIONS, trainClassifierCommand } from './commands/trainClassifier';
import { WORD2VEC_HELP, WORD2VEC_OPTIONS, word2vecCommand } from './commands/word2vec';
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
  intervene: { options: INTERVENE_OPTIONS, help: INTERVENE_HELP, run: interveneCommand },
  fourier: { options: FOURIER_OPTIONS, help: FOURIER_HELP, run: fourierCommand },
  report: { options: REPORT_OPTIONS, help: REPORT_HELP, run: reportCommand },
  info: { options: INFO_OPTIONS, help: INFO_HELP, run: infoCommand },
  import: { options: IMPORT_OPTIONS, help: IMPORT_HELP, run: importCommand },
  demo: { options: DEMO_OPTIONS, help: DEMO_HELP, run: demoCommand },
  'image-train': { options: IMAGE_TRAIN_OPTIONS, help: IMAGE_TRAIN_HELP, run: imageTrainCommand },
  'image-activations': { options: IMAGE_ACTIVATIONS_OPTIONS, help: IMAGE_ACTIVATIONS_HELP, run: imageActivationsCommand },
  'image-maximize': { options: IMAGE_MAXIMIZE_OPTIONS, help: IMAGE_MAXIMIZE_HELP, run: imageMaximizeCommand },
  'image-saliency': { options: IMAGE_SALIENCY_OPTIONS, help: IMAGE_SALIENCY_HELP, run: imageSaliencyCommand },
  'image-fool': { options: IMAGE_FOOL_OPTIONS, help: IMAGE_FOOL_HELP, run: imageFoolCommand },
  'image-invert': { options: IMAGE_INVERT_OPTIONS, help: IMAGE_INVERT_HELP, run: imageInvertCommand },
  'image-dream': { options: IMAGE_DREAM_OPTIONS, help: IMAGE_DREAM_HELP, run: imageDreamCommand },
  'train-classifier': { options: TRAIN_CLASSIFIER_OPTIONS, help: TRAIN_CLASSIFIER_HELP, run: trainClassifierCommand },
  classify: { options: CLASSIFY_OPTIONS, help: CLASSIFY_HELP, run: classifyCommand },
  search: { options: SEARCH_OPTIONS, help: SEARCH_HELP, run: searchCommand },
  clusters: { options: CLUSTERS_OPTIONS, help: CLUSTERS_HELP, run: clustersCommand },
  compare: { options: COMPARE_OPTIONS, help: COMPARE_HELP, run: compareCommand },
  history: { options: HISTORY_OPTIONS, help: HISTORY_HELP, run: historyCommand },
  word2vec: { options: WORD2VEC_OPTIONS, help: WORD2VEC_HELP, run: word2vecCommand },
  neighbours: { options: NEIGHBOURS_OPTIONS, help: NEIGHBOURS_HELP, run: neighboursCommand },
  contexts: { options: CONTEXTS_OPTIONS, help: CONTEXTS_HELP, run: contextsCommand },
  maximize: { options: MAXIMIZE_OPTIONS, help: MAXIMIZE_HELP, run: maximizeCommand },
  saliency: { options: SALIENCY_OPTIONS, help: SALIENCY_HELP, run: saliencyCommand },
  fool: { options: FOOL_OPTIONS, help: FOOL_HELP, run: foolCommand },
  invert: { options: INVERT_OPTIONS, help: INVERT_HELP, run: invertCommand },
};

const USAGE = `neuron-lens: train small recurrent language models and see what their neurons do

Commands:
  train        train an RNN/LSTM/GRU language model (default: char LSTM on Moby-Dick)
  activations  per-token activations of a layer/component for a text or file
  generate     sample text, coloured by one neuron
  relevance    rank neurons by how they respond to features of interest (" ", ".", /regex/)
  intervene    ablate or clamp neurons: change in loss, next-token distribution, generated text
  fourier      spectra of neuron activity over tokens, peaks, band-of-interest ranking
  report       HTML report: relevance, coloured text, heatmap and spectra for a text
  info         describe and validate a model folder
  import       import a Keras / TensorFlow.js Layers RNN, LSTM or GRU language model or classifier
  demo         train (or reuse) a small model, print coloured text, write an HTML report
  image-train        train an MLP or ConvNet image classifier (default: MNIST digits); accuracy, confusion matrix
  image-activations  every layer's activations / feature maps for an image, most active filters
  image-maximize     activation maximisation from noise: class visualisation, filter / neuron images
  image-saliency     saliency map |d class score / d pixel| of an image
  image-fool         fooling image: small change that makes the model predict a chosen class
  image-invert       feature inversion: reconstruct an image from a layer's features
  image-dream        DeepDream steps amplifying a layer's activation
  train-classifier  train an RNN/LSTM/GRU text classifier (default: SpamAssassin ham/spam)
  classify     class probabilities of a text, or scores on labelled data, with a classifier
  search       "more like this": spans whose on/off pattern of chosen neurons matches a query span
  clusters     group neurons by their activity (k-means or NMF), named by top tokens and features
  compare      two neurons (or one neuron in two models) on the same text: correlation, 2-D histogram
  history      one neuron across training: activation and feature relevance at each snapshot, when it emerged
  word2vec     train skip-gram word vectors (negative sampling) on a text, write word2vec text/binary
  neighbours   nearest words and analogies in a word2vec/GloVe vectors file
  contexts     the corpus snippets where one neuron is most and least active
  maximize     token sequences that drive a neuron or next-token logit highest (activation maximisation)
  saliency     per-token gradient saliency or integrated gradients for a neuron or next-token logit
  fool         a few token substitutions (HotFlip) that change a classifier's prediction
  invert       token sequences whose hidden state matches the one a text leaves (feature inversion)

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
