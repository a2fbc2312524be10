/**
 * Runs the built `lambda-debug` binary as a user would: a real `node dist/bin.js` process with its own
 * environment, read line by line. Every process started here is stopped by `stopAllCliProcesses`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Inbox } from '../../broker/test/helpers.js';

/** The built binary; the suite needs `npx tsc -b` first. */
export const CLI_BIN = join(__dirname, '..', 'dist', 'bin.js');

/** How long a test waits for a line from the CLI (start-up included) before failing with what it saw. */
export const CLI_LINE_BOUND_MS = 15_000;

if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run \`npx tsc -b\` before the CLI tests`);

/**
 * The environment for a CLI run: this process's, without anything that would change the CLI's behaviour
 * (secrets, broker defaults, colour settings), plus `extra` (an `undefined` value removes a variable).
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['LAMBDA_DEBUG_SECRET', 'LAMBDA_DEBUG_BROKER', 'NO_COLOR', 'FORCE_COLOR'])
    delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** How a CLI process ended. */
export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A finished one-shot command. */
export interface CliResult extends CliExit {
  readonly stdout: string;
  readonly stderr: string;
}

const running = new Set<ChildProcess>();

/** Runs a command to completion and collects its output. */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A long-running command (`broker start`, `tunnel`, `sessions --follow`), read line by line. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly stdout = new Inbox<string>('a line on stdout');
  readonly stderr = new Inbox<string>('a line on stderr');
  readonly exited: Promise<CliExit>;
  /** Everything written so far, for failure messages. */
  #transcript: string[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    running.add(child);
    for (const [stream, inbox, tag] of [
      [child.stdout, this.stdout, 'out'],
      [child.stderr, this.stderr, 'err'],
    ] as const) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.#transcript.push(`${tag}| ${line}`);
        inbox.push(line);
      });
    }
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
  }

  /** Starts the binary; with `stdin: 'pipe'` the test can type into it (`type`), otherwise it reads nothing. */
  static start(
    args: readonly string[],
    env: Record<string, string | undefined> = {},
    options: { readonly stdin?: 'pipe' | 'ignore' } = {},
  ): CliProcess {
    return new CliProcess(
      spawn(process.execPath, [CLI_BIN, ...args], {
        env: cliEnv(env),
        stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      }),
    );
  }

  /** Writes `text` to the process's standard input (started with `stdin: 'pipe'`). */
  type(text: string): void {
    if (!this.child.stdin) throw new Error('this CLI process was started without a stdin pipe');
    this.child.stdin.write(text);
  }

  /** The next stdout line matching `pattern`; fails with the transcript if the process exits or time runs out. */
  line(pattern: RegExp, from: 'stdout' | 'stderr' = 'stdout', boundMs = CLI_LINE_BOUND_MS): Promise<string> {
    const inbox = from === 'stdout' ? this.stdout : this.stderr;
    const found = inbox.next((line) => pattern.test(line), boundMs);
    const exitedFirst = this.exited.then((exit) => {
      // Lines already read may still be queued behind the exit; give the inbox the last word.
      return new Promise<never>((_resolve, reject) =>
        setImmediate(() =>
          reject(
            new Error(`CLI exited (${JSON.stringify(exit)}) before printing ${pattern}:\n${this.transcript}`),
          ),
        ),
      );
    });
    return Promise.race([found, exitedFirst]).catch((error: unknown) => {
      throw error instanceof Error && error.message.startsWith('CLI exited')
        ? error
        : new Error(`${String(error)}\ntranscript:\n${this.transcript}`);
    });
  }

  /** A line parsed as JSON. */
  async json<T>(
    pattern = /^\{/,
    from: 'stdout' | 'stderr' = 'stdout',
    boundMs = CLI_LINE_BOUND_MS,
  ): Promise<T> {
    return JSON.parse(await this.line(pattern, from, boundMs)) as T;
  }

  get transcript(): string {
    return this.#transcript.join('\n');
  }

  /** Sends `signal` (Ctrl+C by default) and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<CliExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Kills whatever a failed test left running. */
export async function stopAllCliProcesses(): Promise<void> {
  const left = [...running];
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
