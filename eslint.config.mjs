import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'neuron-lens-demo/**', 'bench/out/**', 'test/e2e/artifacts/**', 'test/browser/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The engine knows nothing of VS Code; the webviews know nothing of Node or VS Code's API.
    files: ['src/engine/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'] }] },
  },
  {
    // Activation must not load tfjs: the extension (and src/shared, which it imports) reaches the
    // engine only through the worker protocol. Types are erased at build time, so they may cross.
    files: ['src/extension/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engine', '**/engine/*', '**/engine/**'],
              allowTypeImports: true,
              message:
                'The extension runs engine code only in the worker (src/shared/protocol.ts); import types only, or move pure code to src/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    // Webviews run in a browser sandbox: no Node, no VS Code API beyond acquireVsCodeApi.
    files: ['webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'], patterns: ['node:*', '../src/engine/*', '../../src/engine/*'] }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'readonly',
        __dirname: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The end-to-end test is plain ESM run by node; functions passed to page.evaluate() run in the browser.
    files: ['test/e2e/**/*.mjs'],
    languageOptions: {
      globals: {
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        document: 'readonly',
        window: 'readonly',
        getComputedStyle: 'readonly',
        NodeFilter: 'readonly',
      },
    },
  },
);
