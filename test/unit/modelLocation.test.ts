import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { MAX_CHARS_PER_TOKEN, documentName, prepareText } from '../../src/extension/documentText';
import { isSameFolder, modelFolderName, modelsFolder, resolveSettingPath, settingValueFor } from '../../src/extension/modelLocation';

describe('model locations', () => {
  const root = path.resolve('/work/ws');

  test('the same folder, however it is written', () => {
    assert.ok(isSameFolder(path.join(root, 'media/default-model'), path.join(root, 'media', 'x', '..', 'default-model') + path.sep));
    assert.ok(!isSameFolder(path.join(root, 'media/default-model'), path.join(root, 'media/default-model-2')));
    assert.ok(isSameFolder('/Ext/Media', '/ext/media', 'darwin'));
    assert.ok(!isSameFolder('/Ext/Media', '/ext/media', 'linux'));
  });

  test('folder names say what the model is and sort by time', () => {
    assert.equal(modelFolderName('lstm', 'char', new Date(2025, 0, 2, 3, 4, 5)), 'lstm-char-20250102-030405');
    const a = modelFolderName('gru', 'word', new Date(2025, 8, 9, 23, 59, 59));
    const b = modelFolderName('gru', 'word', new Date(2025, 9, 1, 0, 0, 0));
    assert.ok(a < b);
  });

  test('modelPath: absolute as is, relative to the workspace, unusable without one', () => {
    assert.equal(resolveSettingPath('', root), undefined);
    assert.equal(resolveSettingPath('  ', root), undefined);
    assert.equal(resolveSettingPath('models/moby', root), path.join(root, 'models/moby'));
    assert.equal(resolveSettingPath(path.resolve('/abs/model'), root), path.resolve('/abs/model'));
    assert.equal(resolveSettingPath('models/moby', undefined), undefined);
  });

  test('written back relative when inside the workspace, absolute otherwise', () => {
    assert.equal(settingValueFor(path.join(root, '.neuron-lens/models/x'), root), path.join('.neuron-lens', 'models', 'x'));
    assert.equal(settingValueFor(path.resolve('/elsewhere/x'), root), path.resolve('/elsewhere/x'));
    assert.equal(settingValueFor(path.resolve('/work/ws-other/x'), root), path.resolve('/work/ws-other/x'));
    assert.equal(settingValueFor(root, root), root);
    assert.equal(settingValueFor(path.resolve('/elsewhere/x'), undefined), path.resolve('/elsewhere/x'));
  });

  test('models folder: relative to the workspace, global storage without one', () => {
    assert.equal(modelsFolder('.neuron-lens/models', root, '/g'), path.join(root, '.neuron-lens/models'));
    assert.equal(modelsFolder('', root, '/g'), path.join(root, '.neuron-lens/models'));
    assert.equal(modelsFolder('.neuron-lens/models', undefined, '/g'), path.join('/g', 'models'));
    assert.equal(modelsFolder(path.resolve('/m'), undefined, '/g'), path.resolve('/m'));
  });
});

describe('document text', () => {
  test('binary content (NUL characters) is refused', () => {
    assert.deepEqual(prepareText('PK\u0003\u0004\u0000\u0000', 1000), { kind: 'binary' });
  });

  test('text within the limit passes untouched', () => {
    assert.deepEqual(prepareText('Call me Ishmael.\r\n', 10), { kind: 'text', text: 'Call me Ishmael.\r\n', cut: false });
  });

  test('very long text is cut at maxTokens × MAX_CHARS_PER_TOKEN, never inside a surrogate pair', () => {
    const limit = 2 * MAX_CHARS_PER_TOKEN;
    const long = 'a'.repeat(limit + 10);
    const r = prepareText(long, 2);
    assert.ok(r.kind === 'text' && r.cut && r.text.length === limit);
    const emoji = 'a'.repeat(limit - 1) + '👍' + 'b';
    const e = prepareText(emoji, 2);
    assert.ok(e.kind === 'text' && e.cut && e.text === 'a'.repeat(limit - 1));
  });

  test('document names', () => {
    assert.equal(documentName({ isUntitled: false, uri: { path: '/w/src/moby.txt' } }), 'moby.txt');
    assert.equal(documentName({ isUntitled: true, uri: { path: 'Untitled-1' } }), 'Untitled-1');
  });
});
