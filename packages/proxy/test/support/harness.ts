/**
 * Shared pieces of the proxy's scenario tests: the real broker, the local Lambda (the real runtime client under
 * the Runtime API emulator) and debugger clients (chrome-remote-interface) that attach through the broker.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { type BrokerHandle, createBrokerLogger, deriveToken, startBroker } from '@lambda-debug/broker';
import {
  type InvokeOptions,
  type InvokeResult,
  LAMBDA_RUNTIMES,
  type LambdaRuntimeName,
  type LocalLambda,
  type LocalLambdaOptions,
  startLocalLambda,
} from '@lambda-debug/lambda-emulator';
import CDP from 'chrome-remote-interface';
import type Protocol from 'devtools-protocol';

export const PROXY_ROOT = resolve(__dirname, '..', '..');
export const FIXTURES = resolve(PROXY_ROOT, 'test', 'fixtures');
export const CORPUS = resolve(FIXTURES, 'corpus');

/** Every runtime of the matrix; tests fail (with the emulator's "run npm run provision" message) if one is missing. */
export const RUNTIMES: readonly LambdaRuntimeName[] = LAMBDA_RUNTIMES;

/** True for runtimes whose client still accepts callback-style handlers (aws-lambda-ric 3.x). */
export function acceptsCallbacks(runtime: LambdaRuntimeName): boolean {
  return runtime !== 'nodejs24.x';
}

/** A broker for one test file, with the proxy's environment and debugger URLs for a function. */
export interface TestBroker {
  readonly handle: BrokerHandle;
  /** `DEBUGGER_*` variables that point a function at this broker. */
  lambdaEnv(functionId: string, extra?: Record<string, string>): Record<string, string>;
  /** The debugger WebSocket URL for a function. */
  debuggerUrl(functionId: string): string;
  close(): Promise<void>;
}

/** The parts of a chrome-remote-interface client the tests use. */
export interface CdpClient {
  send(method: string, params?: object): Promise<unknown>;
  on(event: string, listener: (params: never) => void): void;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const secret = randomBytes(32).toString('hex');
  const handle = await startBroker({
    host: '127.0.0.1',
    lambdaPort: 0,
    debuggerPort: 0,
    secret,
    // The broker's own tests check its log lines; here they would only be noise.
    logger: createBrokerLogger({ level: 'error' }),
  });
  return {
    handle,
    lambdaEnv: (functionId, extra = {}) => ({
      DEBUGGER_ACTIVE: 'true',
      DEBUGGER_BROKER_ADDRESS: `127.0.0.1:${handle.lambdaAddress.port}`,
      DEBUGGER_FUNCTION_ID: functionId,
      DEBUGGER_TOKEN: deriveToken(secret, 'lambda', functionId),
      ...extra,
    }),
    debuggerUrl: (functionId) =>
      `ws://127.0.0.1:${handle.debuggerAddress.port}/${functionId}?token=${encodeURIComponent(deriveToken(secret, 'debugger', functionId))}`,
    close: () => handle.close(),
  };
}

let functionCounter = 0;
/** A function id unique within the test run, so debuggers never attach to another test's invocation. */
export function uniqueFunctionId(label: string): string {
  functionCounter += 1;
  return `${label.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80)}-${process.pid}-${functionCounter}`;
}

/** Starts a local Lambda and always closes it. */
export async function withLambda<T>(
  options: LocalLambdaOptions,
  use: (lambda: LocalLambda) => Promise<T>,
): Promise<T> {
  const lambda = await startLocalLambda(options);
  try {
    return await use(lambda);
  } finally {
    await lambda.close();
  }
}

/** One pause a debugger client saw. */
export interface SeenPause {
  readonly reason: string;
  readonly hitBreakpoints: readonly string[];
  readonly functionName: string;
  /** The top frame's script URL (from `Debugger.scriptParsed`). */
  readonly url: string;
  readonly lineNumber: number;
}

/** A debugger attached through the broker with chrome-remote-interface. */
export interface TestDebugger {
  readonly client: CdpClient;
  /** Pauses seen so far. */
  readonly pauses: SeenPause[];
  /** Script URLs the debugger was told about. */
  readonly scripts: Map<string, string>;
  /** Resolves on the next pause (or the one already waiting). */
  nextPause(): Promise<{ pause: SeenPause; event: Protocol.Debugger.PausedEvent }>;
  /** Resolves when the broker closes the connection. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects a debugger to a function's next invocation: enables Runtime and Debugger and sends
 * `Runtime.runIfWaitingForDebugger`, as DevTools does. With `autoResume`, every pause is resumed at once.
 */
export async function attachDebugger(
  url: string,
  options: {
    autoResume: boolean;
    /** Commands to send after enabling the domains and before releasing the handler (set breakpoints here). */
    setup?: (client: CdpClient) => void;
  },
): Promise<TestDebugger> {
  const client = (await CDP({ target: url, local: true })) as unknown as CdpClient;
  const pauses: SeenPause[] = [];
  const scripts = new Map<string, string>();
  const waiting: Array<(value: { pause: SeenPause; event: Protocol.Debugger.PausedEvent }) => void> = [];
  const queued: Array<{ pause: SeenPause; event: Protocol.Debugger.PausedEvent }> = [];
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolveClosed) => {
    markClosed = resolveClosed;
  });
  client.on('disconnect', () => markClosed());
  client.on('Debugger.scriptParsed', (event: Protocol.Debugger.ScriptParsedEvent) => {
    scripts.set(event.scriptId, event.url);
  });
  client.on('Debugger.paused', (event: Protocol.Debugger.PausedEvent) => {
    const top = event.callFrames[0];
    const pause: SeenPause = {
      reason: event.reason,
      hitBreakpoints: event.hitBreakpoints ?? [],
      functionName: top?.functionName ?? '',
      url: top ? (scripts.get(top.location.scriptId) ?? '') : '',
      lineNumber: top?.location.lineNumber ?? -1,
    };
    pauses.push(pause);
    if (options.autoResume) {
      client.send('Debugger.resume').catch(() => undefined);
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter({ pause, event });
    else queued.push({ pause, event });
  });
  const ignoreClosed = () => undefined;
  client.send('Runtime.enable').catch(ignoreClosed);
  client.send('Debugger.enable').catch(ignoreClosed);
  options.setup?.(client);
  client.send('Runtime.runIfWaitingForDebugger').catch(ignoreClosed);
  return {
    client,
    pauses,
    scripts,
    closed,
    nextPause: () => {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolvePause) => waiting.push(resolvePause));
    },
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
}

/** Invokes once with an auto-resuming debugger attached for that invocation. */
export async function invokeWithDebugger(
  lambda: LocalLambda,
  broker: TestBroker,
  functionId: string,
  event: unknown,
  options?: InvokeOptions,
): Promise<{ result: InvokeResult; debuggerClient: TestDebugger }> {
  const debuggerClient = await attachDebugger(broker.debuggerUrl(functionId), { autoResume: true });
  try {
    const result = await lambda.invoke(event, options);
    return { result, debuggerClient };
  } finally {
    await debuggerClient.close();
  }
}

/** Frames of a stack (inside a JSON log line) that belong to the runtime client itself. */
const RUNTIME_FRAME = /aws-lambda-ric/;
const JSON_FRAME = /"\s+at [^"]*"/g;

/**
 * The runtime logs a non-Error failure (`callback('text')`, `context.fail()`) by wrapping it in an Error it
 * creates itself; that Error's stack shows the path into the runtime, which with the debugger starts in the
 * proxy instead of the handler (the handler ran in another process). Only the frames from the first one outside
 * the runtime on are masked, and only in lines whose error the runtime made (its stack starts in `intoError`).
 */
function maskRuntimeMadeErrorFrames(line: string): string {
  if (!/at (Object\.)?intoError \(/.test(line)) return line;
  let outsideRuntime = false;
  return line.replace(JSON_FRAME, (frame) => {
    outsideRuntime ||= !RUNTIME_FRAME.test(frame);
    return outsideRuntime ? '"<caller frame>"' : frame;
  });
}

/**
 * Log lines made comparable across runs: timestamps and request ids replaced, the proxy's own lines and the
 * runtime's start banner dropped.
 */
export function comparableLogs(result: InvokeResult): string[] {
  // After an init error the runtime process dies, and how much of Node's crash report is captured before the
  // environment is torn down varies from run to run: nothing after that line is compared.
  const initError = result.logs.findIndex((line) => /\tInit Error\s*\t|"Init Error"/.test(line));
  const lines = initError < 0 ? result.logs : result.logs.slice(0, initError + 1);
  return lines
    .filter((line) => !line.includes('[lambda-debug]') && !line.startsWith('Executing '))
    .map((line) =>
      maskRuntimeMadeErrorFrames(
        line
          .replaceAll(result.requestId, '<request-id>')
          .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>'),
      )
        // Masked frames collapse into one marker, however many there were.
        .replace(/"<caller frame>"(,"<caller frame>")*/g, '"<caller frames>"'),
    );
}
