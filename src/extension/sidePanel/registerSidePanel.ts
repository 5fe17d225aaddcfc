import * as vscode from 'vscode';
import type { Services } from '../services';
import { ExperimentFeatures } from './experimentFeatures';
import { SidePanelController } from './sidePanelController';
import { SidePanelProvider } from './sidePanelProvider';

/**
 * The Neuron Lens side panel (view `neuronLens.sidePanel` in the `neuronLens` activity-bar
 * container): registers its webview view and keeps it in step with the services. Nothing runs
 * until the view is first shown; the returned disposable removes it all.
 */
export function registerSidePanel(s: Services): vscode.Disposable {
  const features = new ExperimentFeatures(s.experiment, s.engine, s.log);
  // The provider calls the controller, which posts through the provider; VS Code calls the
  // provider only after registration, when both exist.
  const provider = new SidePanelProvider(s.context.extensionUri, {
    onSelectNeuron: ({ layer, component, neuron }) => controller.selectNeuron({ layer, component, neuron }),
    onRunCommand: (command) => controller.runCommand(command),
    onDidBecomeVisible: () => controller.becameVisible(),
  });
  const controller = new SidePanelController(s, provider, features);
  const registration = vscode.window.registerWebviewViewProvider(SidePanelProvider.viewType, provider);
  const owned: vscode.Disposable[] = [features, provider, controller, registration];
  return new vscode.Disposable(() => {
    for (const d of owned.reverse()) d.dispose();
  });
}
