import * as fs from 'node:fs';
import { DEFAULT_MAX_TEXT_BYTES, decodeText, readTextFile } from './corpus';
import { NeuronLensError } from './errors';
import { folderFiles } from './folderFiles';

export interface TextFile {
  path: string;
  text: string;
}

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
  const readFolder = (dir: string) => {
    for (const file of folderFiles(dir)) {
      let text: string;
      try {
        text = decodeText(fs.readFileSync(file), file);
      } catch {
        continue;
      }
      add(file, text);
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
      readFolder(p);
      if (out.length === before) throw new NeuronLensError(`${p} contains no text files`);
    } else {
      add(p, readTextFile(p, maxTotalBytes));
    }
  }
  return out;
}
