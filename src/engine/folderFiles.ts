import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folders nobody means to read as text: dependencies and build output (hidden ones, like .git, are skipped too). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'out', 'dist']);

/**
 * The files under `dir`, recursively, in name order (so results and reports do not depend on
 * the file system's order), hidden entries and dependency/build folders skipped.
 */
export function folderFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    const entries = fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(full);
      } else if (entry.isFile()) files.push(full);
    }
  };
  walk(dir);
  return files;
}
