/**
 * The whole debug chain on this machine, for `demo` and `local`: a broker on loopback with a fresh secret, a
 * tunnel so that token-less debuggers (chrome://inspect, `node inspect`) can attach, and a local Lambda (the real
 * runtime client) running the function with the proxy turned on. Ports are picked by the system; nothing is
 * printed here (the caller decides how to show `ready`).
 */
import { BrokerConfigError, type BrokerHandle, createBrokerLogger, startBroker } from '@lambda-debug/broker';
import { deriveToken, generateSecret } from '@lambda-debug/broker/tokens';
import {
  type InvokeResult,
  type LambdaRuntimeName,
  type LocalLambda,
  LocalLambdaError,
  RuntimeNotProvisionedError,
  startLocalLambda,
} from '@lambda-debug/lambda-emulator';
import type { SessionEvent } from '@lambda-debug/shim-protocol';
import { buildAttachInstructions, type VsCodeAttachConfig } from './attach-instructions.js';
import type { BrokerAddress } from './broker-address.js';
import { devtoolsFrontendUrl } from './devtools-url.js';
import { RuntimeFailure, UsageError } from './errors.js';
import { buildFunctionEnvironment } from './function-environment.js';
import { runtimeNotProvisioned } from './local-runtime.js';
import { startTunnel, type Tunnel, type TunnelEvent } from './tunnel-server.js';

/** Every listener of the local chain binds here: nothing is reachable from other machines. */
export const LOCAL_HOST = '127.0.0.1';

/** How long each local invocation waits for a debugger before running the handler normally: time for a person. */
export const LOCAL_DEBUGGER_WAIT_MS = 10 * 60_000;

/**
 * The local function's timeout: Lambda's longest (15 minutes), so that a debugger attaching near the end of the
 * wait still has 5 minutes to step through the handler.
 */
export const LOCAL_FUNCTION_TIMEOUT_MS = 15 * 60_000;

/** Lambda's default memory size, in MB: the local function gets it unless told otherwise. */
export const LOCAL_MEMORY_MB = 128;

/** The broker's own log lines below this level are not shown: the local chain's story is told by the CLI. */
const LOCAL_BROKER_LOG_LEVEL = 'warn';

/** How the runtime client loads the function. */
export type ProxySetup =
  /** The handler turns the proxy on itself (`debuggable`, or the seed-style `require`). */
  | { readonly kind: 'in-code' }
  /** The runtime client loads the proxy's wrapper (an absolute handler string), which loads `handler`. */
  | { readonly kind: 'wrapper'; readonly wrapperHandler: string };

/** What `startLocalDebug` needs. */
export interface LocalDebugOptions {
  readonly functionId: string;
  readonly runtime: LambdaRuntimeName;
  /** Absolute, real path of the folder with the function's code (`LAMBDA_TASK_ROOT`). */
  readonly taskRoot: string;
  /** The function's own handler string, relative to `taskRoot`. */
  readonly handler: string;
  readonly setup: ProxySetup;
  /** The function's own environment variables; the `DEBUGGER_*` ones the chain needs are set over them. */
  readonly env: Readonly<Record<string, string>>;
  /** Layers (zips or folders), in order, as the local Lambda takes them. */
  readonly layers?: readonly string[];
  readonly waitMs: number;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /** Port for the tunnel (the chrome://inspect target); 0 picks a free one. */
  readonly tunnelPort: number;
  /** Where provisioned runtimes are found. */
  readonly cacheDir: string;
  /** The broker's warnings, as JSON lines or readable text, on stderr. */
  readonly brokerLogFormat: 'json' | 'pretty';
  /** Each line the function's runtime process writes. */
  readonly onLog: (line: string) => void;
  /** Debuggers coming and going through the tunnel. */
  readonly onTunnelEvent: (event: TunnelEvent) => void;
  /** Each change to one of the function's sessions, as the broker sees it (waiting, attached, detached, ended). */
  readonly onSessionEvent: (event: SessionEvent) => void;
}

/** Where to attach, once everything listens: what `demo --json` and `local --json` print first. */
export interface LocalDebugReady {
  readonly type: 'ready';
  readonly functionId: string;
  readonly runtime: LambdaRuntimeName;
  /** The Node version the runtime runs and the runtime client's version. */
  readonly nodeVersion: string;
  readonly runtimeClientVersion: string;
  readonly taskRoot: string;
  readonly handler: string;
  /** `DEBUGGER_WAIT_MS` and the function timeout, in milliseconds. */
  readonly waitMs: number;
  readonly timeoutMs: number;
  /** The broker's WebSocket URL for the function, with its debugger token. */
  readonly ws: string;
  readonly devtools: string;
  /** The tunnel: a debugger target without a token, as `node --inspect` would serve it. */
  readonly inspect: {
    /** What to add in chrome://inspect and give `node inspect`. */
    readonly target: string;
    readonly ws: string;
    readonly devtools: string;
  };
  readonly vscode: VsCodeAttachConfig;
  readonly broker: { readonly lambdaPort: number; readonly debuggerPort: number };
}

/** The running chain. */
export interface LocalDebug {
  readonly ready: LocalDebugReady;
  /** Invokes the function once with `event`, under `requestId`. */
  invoke(event: unknown, requestId: string): Promise<InvokeResult>;
  /** Stops the runtime processes (and the debug process they started), the tunnel and the broker. Idempotent. */
  close(): Promise<void>;
}

/** The emulator's function name rule is narrower than the function id's: no dots, at most 64 characters. */
function functionNameFor(functionId: string): string {
  return functionId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
}

/** Turns the emulator's errors into the CLI's two kinds; anything else is passed on. */
export function explainLocalLambdaError(error: unknown): unknown {
  if (error instanceof RuntimeNotProvisionedError) return runtimeNotProvisioned(error);
  if (!(error instanceof LocalLambdaError)) return error;
  const problem = error.message.endsWith(error.fix)
    ? error.message.slice(0, -error.fix.length).trim()
    : error.message;
  switch (error.code) {
    case 'invalid-options':
    case 'event-too-large':
      return new UsageError(problem, error.fix, { cause: error });
    default:
      return new RuntimeFailure(problem, error.fix, { cause: error });
  }
}

class LocalDebugChain implements LocalDebug {
  readonly ready: LocalDebugReady;
  readonly #broker: BrokerHandle;
  readonly #tunnel: Tunnel;
  readonly #lambda: LocalLambda;
  #closing: Promise<void> | undefined;

  constructor(ready: LocalDebugReady, broker: BrokerHandle, tunnel: Tunnel, lambda: LocalLambda) {
    this.ready = ready;
    this.#broker = broker;
    this.#tunnel = tunnel;
    this.#lambda = lambda;
  }

  async invoke(event: unknown, requestId: string): Promise<InvokeResult> {
    try {
      return await this.#lambda.invoke(event, { requestId });
    } catch (error) {
      throw explainLocalLambdaError(error);
    }
  }

  close(): Promise<void> {
    // The function first, so its proxy is gone before the broker ends the session on its side.
    this.#closing ??= closeInOrder([
      () => this.#lambda.close(),
      () => this.#tunnel.close(),
      () => this.#broker.close(),
    ]);
    return this.#closing;
  }
}

/** Runs each closer in turn even when one fails, then reports the first failure. */
async function closeInOrder(closers: ReadonlyArray<() => Promise<void>>): Promise<void> {
  let failure: unknown;
  for (const close of closers) {
    try {
      await close();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}

/**
 * Starts the broker, the tunnel and the local Lambda, in that order; if one fails, those already started are
 * stopped before the error is thrown. Runtime processes start with the first invocation.
 */
export async function startLocalDebug(options: LocalDebugOptions): Promise<LocalDebug> {
  const { functionId } = options;
  const secret = generateSecret();
  const started: Array<() => Promise<void>> = [];
  try {
    const broker = await startBroker({
      host: LOCAL_HOST,
      lambdaPort: 0,
      debuggerPort: 0,
      secret,
      logger: createBrokerLogger({ level: LOCAL_BROKER_LOG_LEVEL, format: options.brokerLogFormat }),
    });
    started.unshift(() => broker.close());
    broker.events.on('session', (event: SessionEvent) => {
      if (event.session.functionId === functionId) options.onSessionEvent(event);
    });
    const debuggerPort: BrokerAddress = {
      secure: false,
      host: LOCAL_HOST,
      port: broker.debuggerAddress.port,
    };
    const debuggerToken = deriveToken(secret, 'debugger', functionId);
    const tunnel = await startTunnel({
      functionId,
      broker: debuggerPort,
      token: debuggerToken,
      host: LOCAL_HOST,
      port: options.tunnelPort,
      onEvent: options.onTunnelEvent,
    });
    started.unshift(() => tunnel.close());
    const proxyEnv = {
      ...buildFunctionEnvironment(
        functionId,
        `${LOCAL_HOST}:${broker.lambdaAddress.port}`,
        deriveToken(secret, 'lambda', functionId),
      ),
      DEBUGGER_WAIT_MS: String(options.waitMs),
      ...(options.setup.kind === 'wrapper' ? { DEBUGGER_HANDLER: options.handler } : {}),
    };
    const lambda = await startLocalLambda({
      runtime: options.runtime,
      taskRoot: options.taskRoot,
      handler: options.setup.kind === 'wrapper' ? options.setup.wrapperHandler : options.handler,
      functionName: functionNameFor(functionId),
      memoryMb: options.memoryMb,
      timeoutMs: options.timeoutMs,
      cacheDir: options.cacheDir,
      // The chain's variables win over the function's own: they are what makes this a debug run.
      env: { ...options.env, ...proxyEnv },
      ...(options.layers ? { layers: options.layers } : {}),
      onLog: options.onLog,
    });
    started.unshift(() => lambda.close());
    const attach = buildAttachInstructions(functionId, debuggerPort, debuggerToken);
    const ready: LocalDebugReady = {
      type: 'ready',
      functionId,
      runtime: lambda.runtime,
      nodeVersion: lambda.installation.nodeVersion,
      runtimeClientVersion: lambda.installation.ricVersion,
      taskRoot: options.taskRoot,
      handler: options.handler,
      waitMs: options.waitMs,
      timeoutMs: options.timeoutMs,
      ws: attach.ws,
      devtools: attach.devtools,
      inspect: {
        target: `localhost:${tunnel.port}`,
        ws: `ws://${tunnel.functionTarget}`,
        devtools: devtoolsFrontendUrl(tunnel.functionTarget, false),
      },
      // The code runs from the very files the editor shows, so local and remote paths are the same.
      vscode: { ...attach.vscode, localRoot: options.taskRoot, remoteRoot: options.taskRoot },
      broker: { lambdaPort: broker.lambdaAddress.port, debuggerPort: broker.debuggerAddress.port },
    };
    return new LocalDebugChain(ready, broker, tunnel, lambda);
  } catch (error) {
    await closeInOrder(started).catch(() => undefined);
    if (error instanceof BrokerConfigError) throw new RuntimeFailure(error.message, '', { cause: error });
    throw explainLocalLambdaError(error);
  }
}
