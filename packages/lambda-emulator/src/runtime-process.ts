/**
 * One runtime process: started in its own process group so that everything it starts (for example the
 * debugger proxy's child) goes with it, as everything in a Lambda sandbox goes when the sandbox is reset.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ProcessExit } from './lambda-errors.js';
import { LineSplitter } from './line-splitter.js';
import { guardProcessGroup, releaseProcessGroup } from './orphan-guard.js';
import type { RuntimeLaunch } from './runtime-launch.js';

/** How a runtime process ended, and the start error when it never ran. */
export interface RuntimeProcessExit extends ProcessExit {
  readonly startError?: Error;
}

/** Process groups still alive, killed if this process exits without closing its local Lambdas. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid);
  });
}

/** A started runtime process whose output is read line by line. */
export class RuntimeProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<RuntimeProcessExit>;
  #exitSeen = false;

  /** Starts the process; `onLine` gets each line it writes to stdout or stderr, as it comes. */
  constructor(launch: RuntimeLaunch, onLine: (line: string) => void) {
    installExitHook();
    this.#child = spawn(launch.command, [...launch.args], {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = this.#child.pid;
    if (pid !== undefined) {
      liveGroups.add(pid);
      guardProcessGroup(pid);
    }
    const stdout = new LineSplitter(onLine);
    const stderr = new LineSplitter(onLine);
    this.#child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    this.#exited = new Promise((resolve) => {
      let startError: Error | undefined;
      this.#child.once('error', (error) => {
        startError = error;
      });
      this.#child.once('exit', () => {
        this.#exitSeen = true;
        // The runtime is gone: end whatever it left behind, as a sandbox reset does.
        if (pid !== undefined) killGroup(pid);
      });
      // 'close' comes after 'exit' once the output pipes are drained, so every line has been seen.
      this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.#exitSeen = true;
        if (pid !== undefined) {
          liveGroups.delete(pid);
          releaseProcessGroup(pid);
        }
        stdout.flush();
        stderr.flush();
        resolve({ code, signal, ...(startError ? { startError } : {}) });
      });
    });
  }

  /** The process id (and process group id); `undefined` when it could not be started. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.#exitSeen;
  }

  /** Resolves when the process has exited and all its output has been read. */
  get exited(): Promise<RuntimeProcessExit> {
    return this.#exited;
  }

  /** Kills the process and everything in its group at once (SIGKILL, as Lambda ends a timed-out sandbox). */
  kill(): void {
    const pid = this.#child.pid;
    if (pid !== undefined && !this.#exitSeen) killGroup(pid);
  }
}
