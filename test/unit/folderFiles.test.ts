import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { folderFiles } from '../../src/engine/folderFiles';
import { corpusDocuments } from '../../src/engine/topContexts';
import { tempDir } from './helpers';

test('folder files: name order at every depth; hidden entries, dependencies and build output skipped', () => {
  const root = tempDir();
  const files = [
    'b.txt',
    'a/z.txt',
    'a/b/c.md',
    'A.txt',
    '.hidden.txt',
    '.git/HEAD',
    'node_modules/x/y.txt',
    'dist/out.js',
    'out/o.txt',
    'src/out.txt',
  ];
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), f);
  }
  const expected = ['A.txt', 'a/b/c.md', 'a/z.txt', 'b.txt', 'src/out.txt'];
  assert.deepEqual(
    folderFiles(root).map((f) => path.relative(root, f).split(path.sep).join('/')),
    expected,
  );
  // A corpus folder lists the same files, named relative to it, read only when asked.
  const docs = corpusDocuments(root);
  assert.deepEqual(
    docs.map((d) => d.name),
    expected,
  );
  assert.equal(docs[1]!.read(), 'a/b/c.md');
  fs.rmSync(root, { recursive: true, force: true });
});
