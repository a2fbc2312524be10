/**
 * Errors a command raises on purpose. Each carries the problem and the fix separately, so the one line a user
 * sees always reads `lambda-debug: <problem>. <fix>` and the exit code tells scripts which kind it was.
 */

/** Exit codes of the `lambda-debug` binary. */
export const ExitCode = {
  /** The command did what was asked (including a clean stop on Ctrl+C). */
  OK: 0,
  /** Something failed at run time: the broker is unreachable, a port is taken, a file cannot be written. */
  RUNTIME_FAILURE: 1,
  /** The command line or the configuration is wrong: fix the arguments or the environment and run again. */
  USAGE: 2,
} as const;

/** The exit codes above, as a type. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI expected and can explain: what went wrong and what to do about it. */
export abstract class CliError extends Error {
  /** The process exit code for this kind of failure. */
  abstract readonly exitCode: ExitCodeValue;
  /** What to do about it, as a sentence; empty when the problem's own text already says. */
  readonly fix: string;

  constructor(problem: string, fix: string, options?: { cause?: unknown }) {
    super(problem, options);
    this.fix = fix;
  }
}

/** Bad or missing arguments or configuration. Exit code 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  readonly exitCode = ExitCode.USAGE;
}

/** The command was right but could not be carried out. Exit code 1. */
export class RuntimeFailure extends CliError {
  override readonly name = 'RuntimeFailure';
  readonly exitCode = ExitCode.RUNTIME_FAILURE;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** The single line printed for an error (after the `lambda-debug:` prefix). */
export function describeError(error: unknown): string {
  if (error instanceof CliError) {
    return error.fix.trim() === ''
      ? sentence(error.message)
      : `${sentence(error.message)} ${sentence(error.fix)}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `${sentence(`unexpected error: ${message}`)} Run again with --verbose for details, and report it if it keeps happening.`;
}

/** The stack and the chain of causes, printed only with `--verbose`. */
export function errorDetails(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth += 1) {
    if (current instanceof Error) {
      lines.push(
        `${depth === 0 ? '' : 'caused by: '}${current.stack ?? `${current.name}: ${current.message}`}`,
      );
      current = current.cause;
    } else {
      lines.push(`${depth === 0 ? '' : 'caused by: '}${String(current)}`);
      current = undefined;
    }
  }
  return lines.join('\n');
}

/** The exit code for any error a command threw. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof CliError ? error.exitCode : ExitCode.RUNTIME_FAILURE;
}

/** The system error code (`ENOENT`, `EACCES`, `ECONNREFUSED`, ...) of a failed call, for one-line messages. */
export function systemErrorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.message : String(error);
}
