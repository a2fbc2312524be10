/**
 * Entry point of the child process that runs the handler under the inspector. Started by the parent with the
 * same Node binary, flags and environment as the Lambda runtime (see child-launcher.ts). In order:
 * mark the process as the debug child (so `debuggable()` and the seed-style require return handlers untouched),
 * forward console output, start the inspector bridge, load the handler by its handler string with the runtime's
 * rules, report `ready`, then run invocations as the parent asks.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  type ChildMessage,
  decodeParentMessage,
  type InvokeMessage,
  type ParentMessage,
} from '@lambda-debug/shim-protocol';
import { CHILD_ENV_KEYS, ENV_AWSLAMBDA_KEYS, ENV_BRIDGE_NONCE, ENV_HANDLER } from '../shared/child-env.js';
import { patchChildConsole } from '../shared/console-forwarder.js';
import { CHILD_MARKER } from '../shared/flags.js';
import { type HandlerFunction, loadHandler } from '../shared/handler-loader.js';
import { serializeThrown } from '../shared/result-codec.js';
import { detectRuntimeGeneration } from '../shared/runtime-errors.js';
import { enterInvocation, installAwsLambdaGlobal } from './awslambda-global.js';
import { ChildInvocation } from './child-runtime.js';
import { rememberDebuggerEditedVariables } from './debugger-environment.js';
import type { BridgeToMain, BridgeWorkerData, MainToBridge } from './inspector-worker/inspector-bridge.js';

/** Exit codes, as the runtime client uses them for the same events. */
const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;
const EXIT_INIT_ERROR = 1;

/** Longest wait for the bridge to set the entry breakpoint before the handler starts without it. */
const ARM_TIMEOUT_MS = 5_000;

/** Longest wait for a crash report to be flushed to the parent before exiting anyway. */
const CRASH_REPORT_TIMEOUT_MS = 1_000;

(globalThis as Record<symbol, unknown>)[CHILD_MARKER] = true;

const nonce = process.env[ENV_BRIDGE_NONCE] ?? '';
const handlerString = process.env[ENV_HANDLER] ?? process.env._HANDLER ?? '';
const awsLambdaKeys = process.env[ENV_AWSLAMBDA_KEYS];
for (const key of CHILD_ENV_KEYS) delete process.env[key];

const generation = detectRuntimeGeneration();

function send(message: ChildMessage, callback?: () => void): void {
  if (!process.connected || !process.send) {
    callback?.();
    return;
  }
  try {
    process.send(message, undefined, {}, () => callback?.());
  } catch {
    callback?.();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let crashing = false;
function crash(origin: 'uncaughtException' | 'unhandledRejection', error: unknown): void {
  if (crashing) return;
  crashing = true;
  const code = origin === 'uncaughtException' ? EXIT_UNCAUGHT_EXCEPTION : EXIT_UNHANDLED_REJECTION;
  setTimeout(() => process.exit(code), CRASH_REPORT_TIMEOUT_MS).unref();
  send({ type: 'crash', origin, error: serializeThrown(error, 'callback') }, () => process.exit(code));
}

process.on('uncaughtException', (error) => crash('uncaughtException', error));
process.on('unhandledRejection', (reason) => crash('unhandledRejection', reason));

let current: ChildInvocation | undefined;
/** Puts back what a debugger changed in this child's environment (see `debugger-environment.ts`). */
const restoreDebuggerEditedVariables = rememberDebuggerEditedVariables();

patchChildConsole(
  (message) => send(message),
  generation,
  () => (current && !current.finished ? current.callerFrames : undefined),
);
if (awsLambdaKeys !== undefined) installAwsLambdaGlobal(awsLambdaKeys.split(',').filter(Boolean));

class Bridge {
  readonly #worker: Worker;
  readonly #listening: Promise<{ host: string; port: number }>;
  #nextRequestId = 1;
  #pendingArms = new Map<number, (result: { ok: boolean; detail?: string }) => void>();

  constructor(workerNonce: string) {
    const data: BridgeWorkerData = { nonce: workerNonce };
    // Heap flags are process-wide and refused in a worker's execArgv; the bridge needs none.
    this.#worker = new Worker(path.join(__dirname, 'inspector-worker', 'inspector-bridge.js'), {
      workerData: data,
      execArgv: [],
    });
    this.#listening = new Promise((resolve, reject) => {
      this.#worker.on('message', (message: BridgeToMain) => {
        if (message.type === 'listening') {
          resolve({ host: message.host, port: message.port });
        } else if (message.type === 'armed') {
          this.#pendingArms.get(message.requestId)?.({
            ok: message.ok,
            ...(message.detail ? { detail: message.detail } : {}),
          });
          this.#pendingArms.delete(message.requestId);
        }
      });
      this.#worker.once('error', reject);
      this.#worker.once('exit', (code) => reject(new Error(`the inspector bridge exited with code ${code}`)));
    });
    // The bridge must never keep the child alive on its own: the event loop has to be able to empty so the
    // runtime's "wait for an empty event loop" behaviour works in the child as it does in Lambda. Attaching a
    // 'message' listener refs the worker's port again, so this comes after the listener.
    this.#worker.unref();
  }

  listening(): Promise<{ host: string; port: number }> {
    return this.#listening;
  }

  /** Sets the entry breakpoint on `handler`; resolves when set or when it cannot be. */
  async armEntryBreak(handler: HandlerFunction): Promise<void> {
    const requestId = this.#nextRequestId++;
    const globalKey = `__lambdaDebugEntry${requestId}_${process.pid}`;
    const globals = globalThis as Record<string, unknown>;
    globals[globalKey] = handler;
    try {
      const result = await new Promise<{ ok: boolean; detail?: string }>((resolve) => {
        const timer = setTimeout(() => {
          this.#pendingArms.delete(requestId);
          resolve({ ok: false, detail: `no answer within ${ARM_TIMEOUT_MS} ms` });
        }, ARM_TIMEOUT_MS);
        this.#pendingArms.set(requestId, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        this.#worker.postMessage({ type: 'arm', requestId, globalKey } satisfies MainToBridge);
      });
      if (!result.ok) {
        process.stderr.write(
          `[lambda-debug] no pause before the handler: ${result.detail ?? 'unknown reason'}\n`,
        );
      }
    } finally {
      delete globals[globalKey];
    }
  }

  disarm(): void {
    this.#worker.postMessage({ type: 'disarm' } satisfies MainToBridge);
  }
}

process.on('beforeExit', () => {
  current?.onEventLoopEmpty();
});

function runInvocation(message: InvokeMessage, handler: HandlerFunction, bridge: Bridge): void {
  if (current && !current.finished) return;
  const context = message.context;
  if (context.xRayTraceId === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = context.xRayTraceId;
  const convention = message.convention ?? 'callback';
  enterInvocation(context.awsRequestId, context.xRayTraceId);
  const invocation = new ChildInvocation(
    {
      handler,
      event: message.event,
      context,
      convention,
      receiverName: message.receiverName ?? 'Runtime',
      breakOnStart: message.breakOnStart,
      ...(message.callerFrames ? { callerFrames: message.callerFrames } : {}),
    },
    {
      report: (outcome) => {
        process.channel?.ref();
        bridge.disarm();
        restoreDebuggerEditedVariables();
        send({ type: 'result', invocationId: message.invocationId, outcome });
      },
      callbackWaitsChanged: (value) =>
        send({ type: 'callback-waits', invocationId: message.invocationId, value }),
      armEntryBreak: (target) => bridge.armEntryBreak(target),
      handlerStarting: (handlerConvention) => {
        // While a callback-style handler runs, the IPC channel must not keep the event loop alive: the runtime
        // completes `callback(null, result)` only once the loop is empty.
        if (handlerConvention === 'callback') process.channel?.unref();
      },
    },
  );
  current = invocation;
  invocation.start().catch((error: unknown) => crash('uncaughtException', error));
}

async function main(): Promise<void> {
  let handler: HandlerFunction | undefined;
  let bridge: Bridge | undefined;
  // Listening from the start keeps the IPC channel (and so the process) alive while the bridge starts and the
  // handler loads; `ping` and `shutdown` are answered at any time.
  process.on('message', (raw: unknown) => {
    const decoded = decodeParentMessage(raw);
    if (!decoded.ok) {
      process.stderr.write(
        `[lambda-debug] ignored an invalid message from the parent: ${decoded.error.message}\n`,
      );
      return;
    }
    const message: ParentMessage = decoded.value;
    switch (message.type) {
      case 'invoke':
        if (handler && bridge) runInvocation(message, handler, bridge);
        break;
      case 'ping':
        send({ type: 'pong', nonce: message.nonce });
        break;
      case 'shutdown':
        process.exit(0);
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
  bridge = new Bridge(nonce);
  const address = await bridge.listening();
  try {
    const appRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
    handler = await loadHandler(appRoot, handlerString, generation);
  } catch (error) {
    send({ type: 'init-error', error: serializeThrown(error, 'callback') }, () =>
      process.exit(EXIT_INIT_ERROR),
    );
    return;
  }
  send({ type: 'ready', inspector: address, pid: process.pid, nodeVersion: process.versions.node });
}

main().catch((error: unknown) => {
  process.stderr.write(`[lambda-debug] the debug process could not start: ${errorText(error)}\n`);
  send({ type: 'init-error', error: serializeThrown(error, 'callback') }, () =>
    process.exit(EXIT_INIT_ERROR),
  );
});
