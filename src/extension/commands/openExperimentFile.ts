/** Open Experiment File: the workspace's experiment file in an editor, created with the defaults if missing. */
import type { Services } from '../services';
import { reportError } from '../userErrors';

export async function openExperimentFile(s: Services): Promise<void> {
  try {
    await s.experiment.open();
  } catch (e) {
    reportError(s.log, e, 'opening the experiment file');
  }
}
