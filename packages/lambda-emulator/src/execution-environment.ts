/**
 * One execution environment: a Runtime API endpoint and, while warm, the runtime process behind it. It runs one
 * invocation at a time with Lambda's lifecycle: a cold start launches the runtime and reports an init error on
 * the invocation that caused the init; a timeout, a crash or an init error ends the process, so the next
 * invocation starts cold; otherwise the process stays warm for the next one.
 */
import { LocalLambdaError } from './errors.js';
import { newLogStreamName } from './ids.js';
import {
  type InvokeResult,
  type ResultContext,
  resultFromOutcome,
  resultFromServiceError,
} from './invocation-result.js';
import { runtimeExited, taskTimedOut } from './lambda-errors.js';
import { INIT_TIMEOUT_MS, MAX_LOG_LINES_PER_INVOCATION } from './limits.js';
import {
  type Delivery,
  type InvocationRequest,
  type RuntimeApiServer,
  type RuntimeOutcome,
  startRuntimeApiServer,
} from './runtime-api-server.js';
import { buildRuntimeLaunch, type RuntimeLaunchConfig } from './runtime-launch.js';
import { RuntimeProcess, type RuntimeProcessExit } from './runtime-process.js';

/** What every runtime process of a function is started with, except the per-process parts. */
export type FunctionConfig = Omit<RuntimeLaunchConfig, 'runtimeApiAddress' | 'logStreamName'>;

/** Lines kept for one invocation, bounded. */
class LogCollector {
  readonly lines: string[];
  dropped: number;

  constructor(lines: string[] = [], dropped = 0) {
    this.lines = lines;
    this.dropped = dropped;
  }

  add(line: string): void {
    if (this.lines.length < MAX_LOG_LINES_PER_INVOCATION) this.lines.push(line);
    else this.dropped++;
  }
}

/** Lets output already in the pipes be read before a result is built: the runtime writes its logs before it posts. */
function afterPendingOutput(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** One invocation running in an environment, from dispatch to result. */
interface Attempt {
  /** Called when the environment's runtime process ends while this attempt runs. */
  onProcessExit(exit: RuntimeProcessExit): void;
  /** Called when the local Lambda closes while this attempt runs. */
  onClose(): void;
}

/** An execution environment of a local Lambda. */
export class ExecutionEnvironment {
  readonly index: number;
  readonly #config: FunctionConfig;
  readonly #onLog: (line: string) => void;
  #server: RuntimeApiServer | undefined;
  #process: RuntimeProcess | undefined;
  #logs: LogCollector = new LogCollector();
  #attempt: Attempt | undefined;
  #closed = false;

  constructor(index: number, config: FunctionConfig, onLog: (line: string) => void) {
    this.index = index;
    this.#config = config;
    this.#onLog = onLog;
  }

  /** Starts the Runtime API endpoint; the runtime process starts with the first invocation. */
  async start(): Promise<void> {
    this.#server = await startRuntimeApiServer({
      // An init error nobody waits for still ends the sandbox.
      onInitError: () => this.#process?.kill(),
    });
  }

  /** `host:port` of this environment's Runtime API. */
  get runtimeApiAddress(): string {
    return this.#server?.address ?? '';
  }

  /** True while a runtime process is up, so the next invocation is warm. */
  get isWarm(): boolean {
    return this.#process !== undefined && !this.#process.hasExited;
  }

  /** Runs one invocation; resolves with its result, rejects only when the runtime cannot start or on close. */
  async run(request: Omit<InvocationRequest, 'timeoutMs'>, timeoutMs: number): Promise<InvokeResult> {
    const server = this.#server;
    if (!server || this.#closed) throw closedError();
    const coldStart = !this.isWarm;
    // Lines written between invocations belong to the next one, as a thawed Lambda process flushes them then.
    const logs = this.#logs;
    const spawnedAtMs = coldStart ? await this.#startProcess(server) : 0;
    const process = this.#process;
    if (!process || this.#closed) throw closedError();

    return new Promise<InvokeResult>((resolve, reject) => {
      let delivery: Delivery | undefined;
      let finishing = false;
      let timer: NodeJS.Timeout | undefined;
      const dispatchedAtMs = Date.now();

      const context = (): ResultContext => {
        const endMs = Date.now();
        return {
          requestId: request.requestId,
          logs: logs.lines,
          droppedLogLines: logs.dropped,
          durationMs: delivery ? endMs - delivery.deliveredAtMs : endMs - dispatchedAtMs,
          coldStart,
          ...(coldStart ? { initDurationMs: (delivery?.deliveredAtMs ?? endMs) - spawnedAtMs } : {}),
          ...(delivery ? { deadlineMs: delivery.deadlineMs } : {}),
          environment: this.index,
        };
      };
      const begin = (): boolean => {
        if (finishing) return false;
        finishing = true;
        clearTimeout(timer);
        return true;
      };
      const end = (settle: () => void): void => {
        if (this.#attempt === attempt) this.#attempt = undefined;
        this.#logs = new LogCollector();
        settle();
      };
      const timeOut = (limitMs: number): void => {
        if (!begin()) return;
        server.abandon(request.requestId);
        process.kill();
        void process.exited.then(() => {
          const built = resultFromServiceError(
            context(),
            'timeout',
            taskTimedOut(request.requestId, limitMs),
          );
          end(() => resolve(built));
        });
      };
      const onOutcome = (outcome: RuntimeOutcome): void => {
        if (!begin()) return;
        // After an init error Lambda resets the sandbox: the next invocation initialises again.
        if (outcome.kind === 'init-error') process.kill();
        const settled = outcome.kind === 'init-error' ? process.exited : afterPendingOutput();
        void settled.then(() => {
          const built = resultFromOutcome(context(), outcome);
          end(() => resolve(built));
        });
      };
      const attempt: Attempt = {
        onProcessExit: (exit) => {
          if (!begin()) return;
          server.abandon(request.requestId);
          const { startError: cause } = exit;
          if (cause) {
            end(() => reject(startError(this.#config, cause)));
            return;
          }
          const built = resultFromServiceError(context(), 'crash', runtimeExited(request.requestId, exit));
          end(() => resolve(built));
        },
        onClose: () => {
          if (!begin()) return;
          end(() => reject(closedError()));
        },
      };
      this.#attempt = attempt;

      if (coldStart) timer = setTimeout(() => timeOut(INIT_TIMEOUT_MS), INIT_TIMEOUT_MS);
      server.dispatch(
        { ...request, timeoutMs },
        {
          onDelivered: (delivered) => {
            if (finishing) return;
            delivery = delivered;
            clearTimeout(timer);
            timer = setTimeout(() => timeOut(timeoutMs), Math.max(0, delivered.deadlineMs - Date.now()));
          },
          onOutcome,
        },
      );
    });
  }

  /** Kills the runtime process, ends a running invocation with a `closed` error and stops the endpoint. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#attempt?.onClose();
    const process = this.#process;
    process?.kill();
    await process?.exited;
    await this.#server?.close();
  }

  /** Starts a new runtime process (after the previous one is fully gone) and returns when it was spawned. */
  async #startProcess(server: RuntimeApiServer): Promise<number> {
    // A process that was killed must be fully gone (output read, group ended) before its successor starts.
    if (this.#process) await this.#process.exited;
    const spawnedAtMs = Date.now();
    if (this.#closed) return spawnedAtMs;
    server.resetRuntime();
    const launch = buildRuntimeLaunch({
      ...this.#config,
      runtimeApiAddress: server.address,
      // Each sandbox writes to its own log stream.
      logStreamName: newLogStreamName(this.#config.functionVersion),
    });
    const process = new RuntimeProcess(launch, (line) => {
      this.#logs.add(line);
      this.#onLog(line);
    });
    this.#process = process;
    void process.exited.then((exit) => {
      if (this.#process === process) this.#attempt?.onProcessExit(exit);
    });
    return spawnedAtMs;
  }
}

function closedError(): LocalLambdaError {
  return new LocalLambdaError(
    'closed',
    'The local Lambda was closed before the invocation finished.',
    'Invoke before calling close(), or start a new local Lambda.',
  );
}

function startError(config: FunctionConfig, cause: Error): LocalLambdaError {
  return new LocalLambdaError(
    'runtime-start-failed',
    `The runtime process (${config.installation.nodePath}) could not be started: ${cause.message}.`,
    'Check that the runtime is still provisioned (`lambda-debug provision`) and that the task root exists.',
    { cause },
  );
}
