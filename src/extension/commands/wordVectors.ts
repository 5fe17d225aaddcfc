/**
 * Word vectors in the editor: Train Word Vectors… (skip-gram on a corpus, written as a word2vec
 * text file) and Find Similar Words… (nearest words and analogies in a vectors file, one query
 * after another: picking a word asks for its own neighbours).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import type { Services } from '../services';
import { workspaceRoot } from '../settings';
import { reportError } from '../userErrors';
import { chooseCorpus } from './trainModel';

const LAST_FILE = 'neuronLens.wordVectorsFile';

export async function trainWordVectors(s: Services): Promise<void> {
  const corpus = await chooseCorpus('Train Word Vectors');
  if (!corpus) return;
  const dim = await vscode.window.showQuickPick(
    [
      { label: '50 dimensions', dim: 50 },
      { label: '100 dimensions', description: 'word2vec.c default', dim: 100 },
      { label: '300 dimensions', dim: 300 },
    ],
    { title: 'Neuron Lens: Train Word Vectors: size', ignoreFocusOut: true },
  );
  if (!dim) return;
  const root = workspaceRoot();
  const target = await vscode.window.showSaveDialog({
    title: 'Neuron Lens: save the word vectors as',
    defaultUri: vscode.Uri.file(path.join(root ?? s.context.globalStorageUri.fsPath, '.neuron-lens', 'vectors.txt')),
    filters: { 'word2vec text': ['txt', 'vec'] },
  });
  if (!target) return;
  try {
    const result = await withCancellableProgress('Neuron Lens: training word vectors', (signal, progress) =>
      s.engine.request(
        'trainWordVectors',
        { corpus, dim: dim.dim, epochs: 5, out: target.fsPath },
        { signal, onProgress: (p) => progress.report(p) },
      ),
    );
    await s.context.workspaceState.update(LAST_FILE, result.file);
    const loss = result.epochs.map((e) => e.loss.toFixed(3)).join(' → ');
    s.log.info(
      `word vectors: ${result.words} words × ${result.dim} in ${(result.elapsedMs / 1000).toFixed(1)} s, loss per epoch ${loss}; ${result.file}`,
    );
    const choice = await vscode.window.showInformationMessage(
      `Neuron Lens: ${result.words.toLocaleString('en')} word vectors (${result.dim} dimensions${result.cancelled ? ', cancelled early' : ''}) saved in ${path.basename(result.file)}.`,
      'Find Similar Words…',
    );
    if (choice) await findSimilarWords(s);
  } catch (e) {
    reportError(s.log, e, 'training word vectors');
  }
}

export async function findSimilarWords(s: Services): Promise<void> {
  const remembered = s.context.workspaceState.get<string>(LAST_FILE);
  let file = remembered;
  const pick = await vscode.window.showQuickPick(
    [
      ...(remembered ? [{ label: path.basename(remembered), description: 'the last vectors used', file: remembered }] : []),
      { label: 'Choose a vectors file…', description: 'word2vec text or binary, or GloVe', file: undefined },
    ],
    { title: 'Neuron Lens: word vectors' },
  );
  if (!pick) return;
  file = pick.file;
  if (!file) {
    file = (await vscode.window.showOpenDialog({ canSelectMany: false, title: 'Neuron Lens: choose a word vectors file' }))?.[0]?.fsPath;
    if (!file) return;
  }
  await s.context.workspaceState.update(LAST_FILE, file);
  let query = await vscode.window.showInputBox({
    title: 'Neuron Lens: similar words',
    prompt: 'A word, or an analogy a:b::c (a is to b as c is to …)',
    value: 'whale',
  });
  while (query) {
    const analogy = /^\s*([^:\s]+)\s*:\s*([^:\s]+)\s*::\s*([^:\s]+)\s*$/.exec(query);
    try {
      const result = await s.engine.request('wordNeighbours', {
        file,
        ...(analogy ? { analogy: [analogy[1]!, analogy[2]!, analogy[3]!] as [string, string, string] } : { word: query.trim() }),
        top: 20,
      });
      const picked = await vscode.window.showQuickPick(
        result.neighbours.map((n) => ({ label: n.word, description: `cosine ${n.similarity.toFixed(3)}` })),
        {
          title: `Neuron Lens: ${analogy ? `${analogy[1]} : ${analogy[2]} :: ${analogy[3]} : …` : `nearest to "${query.trim()}"`} (${result.words.toLocaleString('en')} words × ${result.dim})`,
          placeHolder: 'Pick a word to see its own neighbours',
        },
      );
      query = picked?.label;
    } catch (e) {
      reportError(s.log, e, 'querying word vectors');
      return;
    }
  }
}
