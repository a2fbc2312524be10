/**
 * Starts and supervises the child Node process that runs the handler under the inspector.
 *
 * The child gets what Lambda gives the runtime: the same Node binary, the same `execArgv` (Lambda's
 * `--no-experimental-require-module` / `--no-experimental-detect-module` and friends), the same environment and
 * working directory, so it resolves modules exactly as the parent does. Inspector flags are stripped (from
 * `execArgv` and from an inherited `NODE_OPTIONS`): the child never opens Node's own inspector. Its heap limit is
 * set so that parent and child together fit the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`).
 * The inspector bridge's address comes back over IPC in `ready`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  type ChildMessage,
  type CrashMessage,
  decodeChildMessage,
  type ParentMessage,
} from '@lambda-debug/shim-protocol';
import { ENV_AWSLAMBDA_KEYS, ENV_BRIDGE_NONCE, ENV_HANDLER } from '../shared/child-env.js';
import { type ConsoleLike, replayConsoleCall } from '../shared/console-forwarder.js';
import { CHILD_EXIT_GRACE_MS, CHILD_NON_HEAP_RESERVE_MB, MIN_CHILD_HEAP_MB } from '../shared/limits.js';
import { forwardLines } from './line-forwarder.js';
import type { ProxyLogger } from './proxy-log.js';

/** Node flags that open or configure the inspector; the child must not inherit them. */
const INSPECTOR_FLAGS = [
  '--inspect',
  '--inspect-brk',
  '--inspect-wait',
  '--inspect-port',
  '--inspect-publish-uid',
  '--debug',
  '--debug-brk',
  '--debug-port',
];

/** Inspector flags that may take their value as the next argument. */
const INSPECTOR_FLAGS_WITH_VALUE = new Set(['--inspect-port', '--inspect-publish-uid', '--debug-port']);

const HEAP_FLAG = '--max-old-space-size';

/** After a child exits, how long its last IPC messages may take to arrive. */
const EXIT_DRAIN_MS = 200;

const OUT_OF_MEMORY_PATTERN =
  /JavaScript heap out of memory|Reached heap limit|Fatal JavaScript out of memory/;

function flagName(argument: string): string {
  const equals = argument.indexOf('=');
  return equals < 0 ? argument : argument.slice(0, equals);
}

/** Removes inspector flags (both `--flag=value` and `--flag value` forms). */
export function stripInspectorFlags(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index] ?? '';
    const name = flagName(argument);
    if (INSPECTOR_FLAGS.includes(name)) {
      const next = args[index + 1];
      if (
        !argument.includes('=') &&
        INSPECTOR_FLAGS_WITH_VALUE.has(name) &&
        next !== undefined &&
        !next.startsWith('-')
      ) {
        index += 1;
      }
      continue;
    }
    kept.push(argument);
  }
  return kept;
}

/** `NODE_OPTIONS` without inspector flags; `undefined` when nothing is left. */
export function stripInspectorNodeOptions(nodeOptions: string | undefined): string | undefined {
  if (nodeOptions === undefined) return undefined;
  const tokens = nodeOptions.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  const kept = stripInspectorFlags(tokens);
  return kept.length === 0 ? undefined : kept.join(' ');
}

/**
 * The child's old-space heap limit in MB: the function's memory less what the parent uses now and the child's
 * own non-heap needs, never below `MIN_CHILD_HEAP_MB`. `undefined` when the memory size is unknown.
 */
export function childHeapLimitMb(
  functionMemoryMb: number | undefined,
  parentRssBytes: number,
): number | undefined {
  if (functionMemoryMb === undefined || !Number.isFinite(functionMemoryMb) || functionMemoryMb <= 0)
    return undefined;
  const parentMb = Math.ceil(parentRssBytes / (1024 * 1024));
  return Math.max(MIN_CHILD_HEAP_MB, Math.floor(functionMemoryMb - parentMb - CHILD_NON_HEAP_RESERVE_MB));
}

/** The child's `execArgv`: the parent's, without inspector flags, with the child's own heap limit. */
export function childExecArgv(parentExecArgv: readonly string[], heapLimitMb: number | undefined): string[] {
  const stripped = stripInspectorFlags(parentExecArgv);
  if (heapLimitMb === undefined) return stripped;
  return [...stripped.filter((argument) => flagName(argument) !== HEAP_FLAG), `${HEAP_FLAG}=${heapLimitMb}`];
}

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** V8 reported running out of heap memory. */
  readonly outOfMemory: boolean;
  /** The child's own report of an uncaught exception or unhandled rejection, when it sent one. */
  readonly crash: CrashMessage | undefined;
  /** The heap limit the child had, in MB, when one was set. */
  readonly heapLimitMb: number | undefined;
}

/** Messages the child sends during invocations. */
export type InvocationMessage = Extract<ChildMessage, { type: 'result' | 'callback-waits' | 'pong' }>;

/** Options for starting a child. */
export interface ChildStartOptions {
  /** The handler string the child loads (relative to `LAMBDA_TASK_ROOT`). */
  readonly handlerString: string;
  readonly logger: ProxyLogger;
  readonly timeoutMs: number;
  /** Defaults: this process's. */
  readonly execPath?: string;
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The child's entry script; defaults to the compiled `child-entry.js` beside this file. */
  readonly entryPath?: string;
  /** Where the child's stdout/stderr lines go; defaults to this process's. */
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Where the child's `console.*` calls are replayed; defaults to this process's console (the runtime's). */
  readonly console?: ConsoleLike;
}

/** Why a child could not start. */
export class ChildStartError extends Error {
  override readonly name = 'ChildStartError';
}

/** A running child process. */
export class DebugChild {
  readonly #process: ChildProcess;
  readonly #nonce: string;
  readonly #heapLimitMb: number | undefined;
  #inspector: { host: string; port: number } | undefined;
  #crash: CrashMessage | undefined;
  #outOfMemory = false;
  #exit: ChildExit | undefined;
  #exitWaiters: Array<(exit: ChildExit) => void> = [];
  #messageListener: ((message: InvocationMessage) => void) | undefined;
  #nextPingNonce = 1;

  private constructor(child: ChildProcess, nonce: string, heapLimitMb: number | undefined) {
    this.#process = child;
    this.#nonce = nonce;
    this.#heapLimitMb = heapLimitMb;
  }

  /** Starts a child and waits until it has loaded the handler and its bridge listens. */
  static start(options: ChildStartOptions): Promise<DebugChild> {
    const env = options.env ?? process.env;
    const nonce = randomBytes(32).toString('hex');
    const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
    const heapLimitMb = childHeapLimitMb(
      Number.isFinite(memoryMb) ? memoryMb : undefined,
      process.memoryUsage().rss,
    );
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      [ENV_BRIDGE_NONCE]: nonce,
      [ENV_HANDLER]: options.handlerString,
    };
    const nodeOptions = stripInspectorNodeOptions(env.NODE_OPTIONS);
    if (nodeOptions === undefined) delete childEnv.NODE_OPTIONS;
    else childEnv.NODE_OPTIONS = nodeOptions;
    const awslambda = (globalThis as { awslambda?: unknown }).awslambda;
    if (typeof awslambda === 'object' && awslambda !== null) {
      childEnv[ENV_AWSLAMBDA_KEYS] = Object.keys(awslambda).join(',');
    } else {
      delete childEnv[ENV_AWSLAMBDA_KEYS];
    }
    const child = fork(options.entryPath ?? path.join(__dirname, '..', 'child', 'child-entry.js'), [], {
      execPath: options.execPath ?? process.execPath,
      execArgv: childExecArgv(options.execArgv ?? process.execArgv, heapLimitMb),
      env: childEnv,
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const debugChild = new DebugChild(child, nonce, heapLimitMb);
    return debugChild.#awaitReady(options);
  }

  #awaitReady(options: ChildStartOptions): Promise<DebugChild> {
    const child = this.#process;
    const stdout = options.stdout ?? process.stdout;
    const stderr = options.stderr ?? process.stderr;
    if (child.stdout) forwardLines(child.stdout, stdout);
    if (child.stderr) {
      child.stderr.on('data', (chunk: Buffer) => {
        if (OUT_OF_MEMORY_PATTERN.test(chunk.toString('utf8'))) this.#outOfMemory = true;
      });
      forwardLines(child.stderr, stderr);
    }
    // Nothing about the child may keep the Lambda process's event loop alive: the runtime relies on it
    // emptying (callback handlers, `beforeExit`). An invocation in progress keeps its own timer instead.
    child.unref();
    child.channel?.unref();
    for (const stream of [child.stdout, child.stderr])
      (stream as unknown as { unref?: () => void } | null)?.unref?.();

    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          this.kill();
          reject(error);
        } else {
          resolve(this);
        }
      };
      const timer = setTimeout(
        () =>
          settle(new ChildStartError(`the debug process did not get ready within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      // A child started ahead of need (during init) must not hold the event loop either; an invocation that
      // waits for it holds the loop with its own timer.
      timer.unref();
      child.on('message', (raw: unknown) => {
        const decoded = decodeChildMessage(raw);
        if (!decoded.ok) {
          options.logger.warn(`ignored an invalid message from the debug process: ${decoded.error.message}`);
          return;
        }
        const message = decoded.value;
        switch (message.type) {
          case 'console':
            replayConsoleCall(message, options.console);
            return;
          case 'ready':
            this.#inspector = { host: message.inspector.host, port: message.inspector.port };
            settle();
            return;
          case 'init-error':
            settle(
              new ChildStartError(
                `the debug process could not load the handler "${options.handlerString}": ${message.error.errorType}: ${message.error.errorMessage}`,
              ),
            );
            return;
          case 'crash':
            this.#crash = message;
            return;
          case 'result':
          case 'callback-waits':
          case 'pong':
            this.#messageListener?.(message);
            return;
        }
      });
      child.on('error', (error) =>
        settle(new ChildStartError(`the debug process could not start: ${error.message}`)),
      );
      child.on('exit', (code, signal) => {
        const finish = () => {
          if (this.#exit) return;
          const exit: ChildExit = {
            code,
            signal,
            outOfMemory: this.#outOfMemory || (signal === 'SIGABRT' && this.#crash === undefined),
            crash: this.#crash,
            heapLimitMb: this.#heapLimitMb,
          };
          this.#exit = exit;
          settle(new ChildStartError(`the debug process exited before it was ready (${describeExit(exit)})`));
          for (const waiter of this.#exitWaiters.splice(0)) waiter(exit);
        };
        // Messages sent just before exiting (the crash report) may still be in the channel: let them arrive.
        if (child.connected) {
          const fallback = setTimeout(finish, EXIT_DRAIN_MS);
          child.once('disconnect', () => {
            clearTimeout(fallback);
            setImmediate(finish);
          });
        } else {
          setImmediate(finish);
        }
      });
    });
  }

  /** The inspector bridge's address. */
  get inspector(): { readonly host: string; readonly port: number } {
    if (!this.#inspector) throw new Error('the debug process is not ready');
    return this.#inspector;
  }

  /** The nonce that authenticates bridge connections. */
  get nonce(): string {
    return this.#nonce;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get alive(): boolean {
    return this.#exit === undefined && this.#process.connected;
  }

  /** Receives `result`, `callback-waits` and `pong` messages (one listener: the current invocation). */
  setMessageListener(listener: ((message: InvocationMessage) => void) | undefined): void {
    this.#messageListener = listener;
  }

  /** Resolves when the child exits (at once when it already has). */
  exited(): Promise<ChildExit> {
    if (this.#exit) return Promise.resolve(this.#exit);
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  /** Sends a message; false when the child can no longer receive. */
  send(message: ParentMessage): boolean {
    if (!this.alive) return false;
    try {
      return this.#process.send(message);
    } catch {
      return false;
    }
  }

  /** True when the child answers a ping within `timeoutMs`: its event loop is turning. */
  ping(timeoutMs: number): Promise<boolean> {
    const nonce = this.#nextPingNonce++;
    return new Promise((resolve) => {
      const previous = this.#messageListener;
      const finish = (answer: boolean) => {
        clearTimeout(timer);
        this.#messageListener = previous;
        resolve(answer);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#messageListener = (message) => {
        if (message.type === 'pong' && message.nonce === nonce) finish(true);
      };
      if (!this.send({ type: 'ping', nonce })) finish(false);
    });
  }

  /** Ends the child at once (SIGKILL): used when it is replaced or its invocation is abandoned. */
  kill(): Promise<ChildExit> {
    if (this.#exit) return Promise.resolve(this.#exit);
    try {
      this.#process.kill('SIGKILL');
    } catch {
      // Already gone.
    }
    return this.exited();
  }

  /** Asks the child to exit, then kills it after `CHILD_EXIT_GRACE_MS`. */
  async shutdown(): Promise<ChildExit> {
    if (this.#exit) return this.#exit;
    this.send({ type: 'shutdown' });
    const timer = setTimeout(() => this.kill(), CHILD_EXIT_GRACE_MS);
    const exit = await this.exited();
    clearTimeout(timer);
    return exit;
  }
}

/** A short description of how a child ended, for messages. */
export function describeExit(exit: ChildExit): string {
  if (exit.outOfMemory) {
    return exit.heapLimitMb === undefined
      ? 'it ran out of memory'
      : `it ran out of memory (its heap limit was ${exit.heapLimitMb} MB)`;
  }
  if (exit.crash) {
    const kind =
      exit.crash.origin === 'uncaughtException' ? 'an uncaught exception' : 'an unhandled promise rejection';
    return `${kind}: ${exit.crash.error.errorType}: ${exit.crash.error.errorMessage}`;
  }
  if (exit.signal) return `it was killed by ${exit.signal}`;
  return `it exited with code ${exit.code}`;
}
