/**
 * Where end-to-end tests leave what a person looks at after a run: screenshots, CLI transcripts, logs.
 * Everything lands under `test-artifacts/e2e/<test>/` at the repository root (gitignored), kept after the run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { slug } from './steps.js';

/** The repository root, found from this file's place in `test/support/`. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The root of all end-to-end artefacts. */
export const E2E_ARTIFACTS_ROOT = path.join(REPO_ROOT, 'test-artifacts', 'e2e');

/** The artefact folder of one test. */
export class ArtifactDir {
  readonly path: string;

  /** Creates (and empties) `test-artifacts/e2e/<slug of name>/`, so a rerun never mixes old and new files. */
  constructor(testName: string) {
    this.path = path.join(E2E_ARTIFACTS_ROOT, slug(testName));
    rmSync(this.path, { recursive: true, force: true });
    mkdirSync(this.path, { recursive: true });
  }

  /** The full path of a file in this folder. */
  file(name: string): string {
    return path.join(this.path, name);
  }

  /** Writes a text artefact (a transcript, a log) and returns its path. */
  writeText(name: string, text: string): string {
    const file = this.file(name);
    writeFileSync(file, text);
    return file;
  }
}
