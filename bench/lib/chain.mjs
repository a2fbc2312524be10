/**
 * The whole chain, as users run it: a debugger client (this process) -> the broker (its own process,
 * workers/broker-host.mjs) -> the proxy inside a local Lambda (the real `aws-lambda-ric` in a runtime process,
 * handler `explicit.js`, DEBUGGER_ACTIVE on) -> the child process running target-handler.js. `open(event)` invokes
 * the function, waits for its session at the broker, attaches, and resolves paused at the handler's first
 * statement, like the direct target in targets.mjs.
 */
import broker from '@lambda-debug/broker';
import emulator from '@lambda-debug/lambda-emulator';
import { CdpClient } from './cdp-client.mjs';
import { nextMessage } from './processes.mjs';
import { makeSecret, startHost } from './servers.mjs';
import { now } from './stats.mjs';
import { enableAndRelease, endTarget } from './targets.mjs';
import { createTaskRoot } from './task-root.mjs';

/** The function id every chain figure debugs. */
const FUNCTION_ID = 'bench-chain';
/** Long enough for the slowest figure's invocation (a 100 MB heap snapshot, stepping). */
const INVOCATION_TIMEOUT_MS = 600_000;
/** How long the proxy waits for a debugger; the figures attach within milliseconds. */
const DEBUGGER_WAIT_MS = 60_000;
/** Lambda memory: sizes the runtime's heap flags, which the child inherits; the heap figure needs room. */
const MEMORY_MB = 2048;
/** How long an invocation may take to register its session at the broker (a cold start included). */
const REGISTER_TIMEOUT_MS = 60_000;

/**
 * Starts a broker and a local Lambda whose handler is behind the proxy. Resolves with `open(event)`,
 * `newLambda()` (replace the local Lambda, so the next invocation starts cold with a fresh child) and `close()`.
 * `handler` (default `explicit.handler`) and `prepareTaskRoot(dir)` (to add files) change the function.
 */
export async function startChain({ handler = 'explicit.handler', prepareTaskRoot } = {}) {
  const secret = makeSecret();
  const host = await startHost('broker', { secret });
  const taskRoot = createTaskRoot();
  try {
    prepareTaskRoot?.(taskRoot.dir);
  } catch (error) {
    await host.close();
    taskRoot.cleanup();
    throw error;
  }
  let lambda;
  const startLambda = () =>
    emulator.startLocalLambda({
      taskRoot: taskRoot.dir,
      handler,
      memoryMb: MEMORY_MB,
      timeoutMs: INVOCATION_TIMEOUT_MS,
      env: {
        DEBUGGER_ACTIVE: '1',
        DEBUGGER_BROKER_ADDRESS: `${host.lambdaAddress.host}:${host.lambdaAddress.port}`,
        DEBUGGER_FUNCTION_ID: FUNCTION_ID,
        DEBUGGER_TOKEN: broker.deriveToken(secret, 'lambda', FUNCTION_ID),
        DEBUGGER_WAIT_MS: String(DEBUGGER_WAIT_MS),
      },
    });
  try {
    await host.watch();
    lambda = await startLambda();
  } catch (error) {
    await host.close();
    taskRoot.cleanup();
    throw error;
  }
  const debuggerUrl = `${host.debuggerBase}/${FUNCTION_ID}?token=${broker.deriveToken(secret, 'debugger', FUNCTION_ID)}`;

  return {
    /**
     * Invokes the function with `event` and attaches once its session is registered. Resolves with the target
     * (`cdp`, `stop()`) and timings: `attachToPauseMs` from opening the debugger connection to the first
     * `Debugger.paused`, `invokeToPauseMs` from the invocation to that pause.
     */
    async open(event) {
      const registered = nextMessage(
        host.child,
        (message) => message?.type === 'session-event' && message.event === 'session-registered',
        REGISTER_TIMEOUT_MS,
      );
      const invokedAt = now();
      const invocation = lambda.invoke(event);
      // An invocation that ends before registering (the proxy could not reach the broker) is the error to show.
      const endedEarly = invocation.then((result) => {
        throw new Error(
          `the invocation ended before its session registered: ${result.status} ${result.payload}`,
        );
      });
      // Whichever loses the race settles later; neither may surface as an unhandled rejection.
      registered.catch(() => undefined);
      endedEarly.catch(() => undefined);
      await Promise.race([registered, endedEarly]);
      const attachedAt = now();
      let cdp;
      try {
        cdp = await CdpClient.connect(debuggerUrl);
        const firstPause = await enableAndRelease(cdp);
        const pausedAt = now();
        return {
          cdp,
          firstPause,
          attachToPauseMs: pausedAt - attachedAt,
          invokeToPauseMs: pausedAt - invokedAt,
          stop: async () => {
            await endTarget(cdp);
            const result = await invocation;
            if (result.status !== 'success') {
              throw new Error(
                `the debugged invocation failed: ${result.status} ${result.payload.slice(0, 300)}`,
              );
            }
          },
        };
      } catch (error) {
        await cdp?.close();
        await invocation.catch(() => undefined);
        throw error;
      }
    },
    /** Replaces the local Lambda: the next invocation is a cold start, with a new runtime and a new child. */
    async newLambda() {
      await lambda.close();
      lambda = await startLambda();
    },
    async close() {
      await lambda?.close();
      await host.close();
      taskRoot.cleanup();
    },
  };
}
