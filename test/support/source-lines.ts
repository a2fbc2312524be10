/**
 * Line numbers found by content, so a scenario says "the line with `const total`" and stays right when a
 * fixture is edited.
 */
import { readFileSync } from 'node:fs';

/** The 1-based line of the only line of `file` that contains `snippet`; throws when there is not exactly one. */
export function lineOf(file: string, snippet: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found = lines.flatMap((line, index) => (line.includes(snippet) ? [index + 1] : []));
  if (found.length !== 1) {
    throw new Error(`expected exactly one line containing "${snippet}" in ${file}, found ${found.length}`);
  }
  return found[0]!;
}
