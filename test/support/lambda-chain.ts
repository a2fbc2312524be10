/**
 * The whole chain a debugger talks to: a broker, and a local Lambda running the real runtime client
 * (`aws-lambda-ric`) with the proxy turned on through its `DEBUGGER_*` variables. Forks real Node processes,
 * so it uses the built `dist/` of every package (`npx tsc -b` first; `npm test` does it).
 */
import { type InvokeResult, type LocalLambda, startLocalLambda } from '@lambda-debug/lambda-emulator';
import type { SessionEvent, SessionEventType } from '@lambda-debug/shim-protocol';
import type { TestBroker } from './test-broker.js';

/** Options for one debuggable function. */
export interface DebuggableFunctionOptions {
  readonly broker: TestBroker;
  readonly functionId: string;
  /** The folder with the handler file (it must resolve `@lambda-debug/proxy`: fixtures live inside the repo). */
  readonly taskRoot: string;
  /** Lambda handler string, `index.handler` unless given. */
  readonly handler?: string;
  /** The function's timeout in milliseconds (Lambda's deadline), 60 s unless given. */
  readonly timeoutMs?: number;
  /** `DEBUGGER_WAIT_MS`: how long an invocation waits for a debugger, 30 s unless given. */
  readonly waitMs?: number;
  /** `DEBUGGER_DEADLINE_MARGIN_MS`, the proxy's default unless given. */
  readonly deadlineMarginMs?: number;
  /** Execution environments (concurrent invocations of the function), 1 unless given. */
  readonly environments?: number;
  /** More environment variables for the function. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Default `DEBUGGER_WAIT_MS` in the tests: long enough for a browser to open, short enough to end a lost test. */
export const TEST_DEBUGGER_WAIT_MS = 30_000;
/** Default function timeout in the tests. */
export const TEST_FUNCTION_TIMEOUT_MS = 60_000;

/** A local Lambda wired to a broker. */
export class DebuggableFunction {
  readonly functionId: string;
  readonly lambda: LocalLambda;
  /** Every line the runtime processes wrote, in order (the function's log). */
  readonly logLines: string[];

  private constructor(functionId: string, lambda: LocalLambda, logLines: string[]) {
    this.functionId = functionId;
    this.lambda = lambda;
    this.logLines = logLines;
  }

  /** Starts the runtime processes (not yet invoked). */
  static async start(options: DebuggableFunctionOptions): Promise<DebuggableFunction> {
    const logLines: string[] = [];
    const env: Record<string, string> = {
      DEBUGGER_ACTIVE: '1',
      DEBUGGER_BROKER_ADDRESS: options.broker.lambdaBrokerAddress,
      DEBUGGER_FUNCTION_ID: options.functionId,
      DEBUGGER_TOKEN: options.broker.lambdaToken(options.functionId),
      DEBUGGER_WAIT_MS: String(options.waitMs ?? TEST_DEBUGGER_WAIT_MS),
      ...(options.deadlineMarginMs === undefined
        ? {}
        : { DEBUGGER_DEADLINE_MARGIN_MS: String(options.deadlineMarginMs) }),
      ...options.env,
    };
    const lambda = await startLocalLambda({
      runtime: 'nodejs20.x',
      taskRoot: options.taskRoot,
      handler: options.handler ?? 'index.handler',
      functionName: options.functionId.replace(/[^A-Za-z0-9_-]/g, '-'),
      timeoutMs: options.timeoutMs ?? TEST_FUNCTION_TIMEOUT_MS,
      environments: options.environments ?? 1,
      env,
      onLog: (line) => logLines.push(line),
    });
    return new DebuggableFunction(options.functionId, lambda, logLines);
  }

  /**
   * Invokes the function as the Lambda service would. The promise is marked handled so a test that fails
   * before awaiting it reports its own failure, not the rejection `close()` causes later.
   */
  invoke(event: unknown): Promise<InvokeResult> {
    const result = this.lambda.invoke(event);
    result.catch(() => undefined);
    return result;
  }

  /** Kills the runtime processes. */
  async close(): Promise<void> {
    await this.lambda.close();
  }
}

/** The parsed JSON payload of a successful invocation; throws with the whole result otherwise. */
export function successPayload(result: InvokeResult): unknown {
  if (result.status !== 'success') {
    throw new Error(
      `the invocation ended with status ${result.status} (${result.errorType ?? 'no error type'}): ${result.payload}\n` +
        `function log:\n${result.logs.join('\n')}`,
    );
  }
  return JSON.parse(result.payload);
}

/**
 * Waits for a broker's session events. A wait sees only the events that happen after it starts, so an event
 * left over from an earlier test of the same function id (a registration nobody waited for, a detach) can
 * never be handed to a later wait. Start the wait before the action that causes the event: `invoke()` and
 * `close()` cannot make the broker emit before the calling code runs on, so waiting right after them is safe.
 */
export class SessionEvents {
  readonly #waiters: Array<{
    accept: (event: SessionEvent) => boolean;
    resolve: (event: SessionEvent) => void;
  }> = [];
  readonly #detach: () => void;

  constructor(broker: TestBroker) {
    const listener = (event: SessionEvent) => {
      // Waiters are served in the order they started, one event each, so two waits for the same kind of
      // event get two different events.
      const at = this.#waiters.findIndex((waiter) => waiter.accept(event));
      if (at >= 0) this.#waiters.splice(at, 1)[0]!.resolve(event);
    };
    broker.handle.events.on('session', listener);
    this.#detach = () => broker.handle.events.off('session', listener);
  }

  /**
   * The first event of `type` for `functionId` (and `sessionId`, when given) that happens from now on and no
   * earlier wait took.
   */
  next(type: SessionEventType, functionId: string, sessionId?: string): Promise<SessionEvent> {
    const accept = (event: SessionEvent) =>
      event.type === type &&
      event.session.functionId === functionId &&
      (sessionId === undefined || event.session.sessionId === sessionId);
    return new Promise((resolve) => this.#waiters.push({ accept, resolve }));
  }

  /** Stops listening. */
  close(): void {
    this.#detach();
  }
}
