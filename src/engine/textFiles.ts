import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_TEXT_BYTES, decodeText, readTextFile } from './corpus';
import { NeuronLensError } from './errors';

export interface TextFile {
  path: string;
  text: string;
}

/** Folders nobody means to search: version control, dependencies, build output. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'out', 'dist']);

/**
 * The text files named by `paths`: files as given, folders walked recursively in name order
 * (hidden entries and dependency/build folders skipped). A file named directly must be text; a
 * file met inside a folder that is binary, empty or not UTF-8 is skipped, as an editor's search
 * would. The total is capped so a stray folder cannot exhaust memory.
 */
export function collectTextFiles(paths: readonly string[], maxTotalBytes = DEFAULT_MAX_TEXT_BYTES): TextFile[] {
  const out: TextFile[] = [];
  let total = 0;
  const add = (file: string, text: string) => {
    total += Buffer.byteLength(text);
    if (total > maxTotalBytes) {
      const limit = maxTotalBytes >= 1048576 ? `${(maxTotalBytes / 1048576).toFixed(0)} MB` : `${maxTotalBytes} bytes`;
      throw new NeuronLensError(`The files to search pass the ${limit} limit at ${file}`);
    }
    out.push({ path: file, text });
  };
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(full);
      } else if (entry.isFile()) {
        const bytes = fs.readFileSync(full);
        let text: string;
        try {
          text = decodeText(bytes, full);
        } catch {
          continue;
        }
        add(full, text);
      }
    }
  };
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new NeuronLensError(`File or folder not found: ${p}`, 'not-found');
    }
    if (stat.isDirectory()) {
      const before = out.length;
      walk(p);
      if (out.length === before) throw new NeuronLensError(`${p} contains no text files`);
    } else {
      add(p, readTextFile(p, maxTotalBytes));
    }
  }
  return out;
}
