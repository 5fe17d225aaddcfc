// Starts code-server (the entry named by $NEURON_LENS_E2E_REAL_ENTRY) with its --extensions-dir
// replaced by $NEURON_LENS_E2E_EXTENSIONS_DIR. The shared harness always gives code-server a fresh,
// empty extensions folder; vsix.mjs points VSCODE_E2E_CODE_SERVER here so that the editor starts
// with the extension installed from the .vsix instead (code-server's inner process gets its
// arguments from this one, so the swap holds for both).
import { pathToFileURL } from 'node:url';

const real = process.env.NEURON_LENS_E2E_REAL_ENTRY;
const dir = process.env.NEURON_LENS_E2E_EXTENSIONS_DIR;
if (!real || !dir) {
  console.error('codeServerEntry.mjs needs NEURON_LENS_E2E_REAL_ENTRY and NEURON_LENS_E2E_EXTENSIONS_DIR');
  process.exit(2);
}
const i = process.argv.indexOf('--extensions-dir');
if (i > 0) process.argv[i + 1] = dir;
else process.argv.push('--extensions-dir', dir);
await import(pathToFileURL(real).href);
