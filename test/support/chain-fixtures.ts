/**
 * Paths and landmarks of the handler fixtures the chain suites debug, in one place so each suite names lines
 * by their content.
 */
import path from 'node:path';
import { REPO_ROOT } from './artifacts.js';
import { lineOf } from './source-lines.js';

const LAMBDA_FIXTURES = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'lambda');

/** A handler fixture: its task root, its file, and the lines scenarios use. */
export interface HandlerFixture {
  readonly taskRoot: string;
  readonly file: string;
  /** `index.js`. */
  readonly fileName: string;
  line(snippet: string): number;
}

function fixture(folder: string): HandlerFixture {
  const taskRoot = path.join(LAMBDA_FIXTURES, folder);
  const file = path.join(taskRoot, 'index.js');
  return { taskRoot, file, fileName: 'index.js', line: (snippet) => lineOf(file, snippet) };
}

/** `greet`, `measure` and an async handler that logs: the stepping fixture. */
export const BASIC = fixture('basic');
/** A handler that throws a `TypeError` from `validate`. */
export const THROWS = fixture('throws');
/** A second, independent function. */
export const OTHER = fixture('other');
/** The TypeScript handler source (compiled by the test). */
export const TYPESCRIPT_SOURCE = path.join(LAMBDA_FIXTURES, 'typescript', 'handler.ts');

/** The first statement of the basic handler: where the entry pause must be (not inside proxy code). */
export const BASIC_FIRST_STATEMENT = "const name = event.name ?? 'world';";
