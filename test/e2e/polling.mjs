// Helpers shared by the end-to-end tests: polling for a condition, finding files below a folder.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Calls `fn` until it returns something truthy (which is returned) or `timeout` passes; errors
 * count as "not yet" unless `rethrow(e)` says they are fatal.
 */
export async function waitFor(what, fn, { timeout = 30_000, interval = 250, rethrow = () => false } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (rethrow(e)) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Files below `dir` whose name matches `re` (missing or unreadable folders give none). */
export function findFiles(dir, re, out = []) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, re, out);
    else if (re.test(e.name)) out.push(p);
  }
  return out;
}
