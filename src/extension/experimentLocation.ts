/**
 * Where the workspace's experiment file is (setting `neuronLens.experimentFile`). Pure, so that the
 * resolution is unit-tested; the default path is the one the contributed JSON schema matches.
 */
import * as path from 'node:path';

export const DEFAULT_EXPERIMENT_FILE = '.neuron-lens/experiment.json';

/**
 * The setting resolved against the first workspace folder (absolute as is). Without a workspace
 * folder the relative path is kept under the extension's storage, so the panels still remember
 * their choices and the schema (matched on `.neuron-lens/experiment.json`) still applies.
 */
export function experimentFilePath(setting: string, workspaceRoot: string | undefined, globalStorage: string): string {
  const value = setting.trim() || DEFAULT_EXPERIMENT_FILE;
  if (path.isAbsolute(value)) return path.normalize(value);
  return path.resolve(workspaceRoot ?? globalStorage, value);
}
