/**
 * The only place the CLI writes to the terminal. Commands print results to stdout and notes, warnings and
 * errors to stderr, so `lambda-debug url --json | jq` never sees a hint. Colour is decided per stream.
 */

/** A stream the CLI writes to: `process.stdout`, `process.stderr`, or a test's collector. */
export interface OutputStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
}

/** Environment variables that decide colour. */
export type ColorEnv = Readonly<Record<string, string | undefined>>;

/**
 * Whether to colour a stream: never with `NO_COLOR` (any non-empty value, see no-color.org), forced on by a
 * `FORCE_COLOR` other than `0`/`false`, otherwise only on a TTY that is not `TERM=dumb`.
 */
export function shouldColor(stream: OutputStream, env: ColorEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Text styles; each is the identity when colour is off, so callers never branch on colour. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

function sgr(open: number, close: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const identity = (text: string): string => text;

/** A palette that colours, or one that leaves text alone. */
export function createPalette(color: boolean): Palette {
  if (!color)
    return {
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
      cyan: identity,
    };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

/** Writes results to stdout and everything else to stderr, each with its own palette. */
export class Output {
  /** Styles for text written with `line`. */
  readonly style: Palette;
  /** Styles for text written with `note`, `warn` and `error`. */
  readonly errStyle: Palette;
  readonly #stdout: OutputStream;
  readonly #stderr: OutputStream;

  constructor(stdout: OutputStream, stderr: OutputStream, env: ColorEnv) {
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.style = createPalette(shouldColor(stdout, env));
    this.errStyle = createPalette(shouldColor(stderr, env));
  }

  /** Whether stdout is a terminal (a person reads it) rather than a pipe or a file. */
  get isInteractive(): boolean {
    return this.#stdout.isTTY === true;
  }

  /** Whether stderr is a terminal: logs there can be formatted for people rather than for machines. */
  get isErrInteractive(): boolean {
    return this.#stderr.isTTY === true;
  }

  /** One or more lines of results on stdout. */
  line(text = ''): void {
    this.#stdout.write(`${text}\n`);
  }

  /** A value as indented JSON on stdout: the `--json` output of one-shot commands. */
  json(value: unknown): void {
    this.#stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A value as one compact JSON line on stdout: NDJSON for streams. */
  jsonLine(value: unknown): void {
    this.#stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A hint or progress note on stderr. */
  note(text: string): void {
    this.#stderr.write(`${text}\n`);
  }

  /** A warning on stderr, marked so it stands out from results. */
  warn(text: string): void {
    this.#stderr.write(`${this.errStyle.yellow('lambda-debug: warning:')} ${text}\n`);
  }

  /** An error line (and, for `--verbose`, its details) on stderr. */
  error(line: string, details?: string): void {
    this.#stderr.write(`${this.errStyle.red('lambda-debug:')} ${line}\n`);
    if (details) this.#stderr.write(`${this.errStyle.dim(details)}\n`);
  }

  /** Raw text for commander's help and version output. */
  writeOut(text: string): void {
    this.#stdout.write(text);
  }

  /** Raw text on stderr for commander's help shown after a usage error. */
  writeErr(text: string): void {
    this.#stderr.write(text);
  }
}
