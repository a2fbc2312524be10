/**
 * Child processes that tests start and must always stop: each one is tracked, its output is kept for failure
 * messages and transcripts, and waiting for a line is event-driven (no polling, no sleeps).
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/** How a tracked process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Longest output kept per process, in characters: enough for a CLI transcript, bounded for a runaway child. */
export const MAX_KEPT_OUTPUT_CHARS = 1024 * 1024;

const live = new Set<TrackedProcess>();

/** A spawned process whose output is recorded and whose end can be awaited. */
export class TrackedProcess {
  readonly child: ChildProcess;
  readonly description: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  #stdout = '';
  #stderr = '';
  #exit: ProcessExit | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(command: string, args: readonly string[], options: SpawnOptions & { description?: string }) {
    this.description = options.description ?? [command, ...args].join(' ');
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (text: string) => {
      this.#stdout = keepTail(this.#stdout + text);
      this.#notify();
    });
    this.child.stderr?.on('data', (text: string) => {
      this.#stderr = keepTail(this.#stderr + text);
      this.#notify();
    });
    live.add(this);
    this.exited = new Promise<ProcessExit>((resolve) => {
      const finish = (exit: ProcessExit) => {
        if (this.#exit) return;
        this.#exit = exit;
        live.delete(this);
        this.#notify();
        resolve(exit);
      };
      this.child.once('exit', (code, signal) => finish({ code, signal }));
      // A spawn failure (ENOENT) emits 'error' and never 'exit'.
      this.child.once('error', () => finish({ code: null, signal: null }));
    });
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The exit, once it happened. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /**
   * Resolves with the first match of `pattern` in the chosen stream once it appears; rejects if the process
   * exits without printing it (the message carries the output, so the failure explains itself).
   */
  waitForOutput(pattern: RegExp, stream: 'stdout' | 'stderr' | 'both' = 'both'): Promise<RegExpExecArray> {
    const text = () =>
      stream === 'stdout' ? this.#stdout : stream === 'stderr' ? this.#stderr : this.#stdout + this.#stderr;
    return this.waitUntil(() => pattern.exec(text()) ?? undefined, `output matching ${pattern}`);
  }

  /**
   * Resolves with the first defined value `probe` returns, probing again after every chunk of output; rejects if
   * the process exits first.
   */
  waitUntil<T>(probe: () => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          this.#listeners.delete(check);
          resolve(value);
        } else if (this.#exit) {
          this.#listeners.delete(check);
          reject(
            new Error(
              `${this.description} exited (code ${this.#exit.code}, signal ${this.#exit.signal}) before ${what}; ` +
                `output:\n${this.transcript().slice(-4000)}`,
            ),
          );
        }
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Stdout and stderr, labelled, for artefacts and failure messages. */
  transcript(): string {
    return `--- stdout ---\n${this.#stdout}\n--- stderr ---\n${this.#stderr}\n`;
  }

  /** Kills the process (SIGKILL unless told otherwise) and waits until it is gone. Safe to call twice. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
    if (!this.#exit) this.child.kill(signal);
    return this.exited;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** Stops every process still running; for `afterAll` hooks, so a failed test leaves nothing behind. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((process) => process.stop()));
}

function keepTail(text: string): string {
  return text.length > MAX_KEPT_OUTPUT_CHARS ? text.slice(-MAX_KEPT_OUTPUT_CHARS) : text;
}
