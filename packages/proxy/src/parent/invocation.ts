/**
 * One invocation with debugging on, from the moment the runtime calls the handler to the moment its result (or
 * an error) goes back to the runtime. Every fault ends in a defined outcome:
 *
 * | what happens                                   | outcome                                                        |
 * | ---------------------------------------------- | -------------------------------------------------------------- |
 * | a DEBUGGER_ variable missing or malformed      | one log line naming it; the handler runs normally              |
 * | broker unreachable, refused, slow, auth refused| one log line; the handler runs normally                        |
 * | no debugger within the wait                    | one log line; the handler runs normally                        |
 * | the debug process cannot start                 | one log line; session ends (proxy-error); runs normally        |
 * | debugger detaches while the handler is paused  | it stays paused for the reconnect grace, then resumes          |
 * | debugger detaches while the handler runs       | the child carries on; its result is returned                   |
 * | the broker ends the session or the link drops  | as a detach: the child resumes; its result is returned         |
 * | the child crashes (exit, exception, memory)    | `LambdaDebug.ChildCrashed`; the next invocation gets a new one |
 * | the deadline (less the margin) arrives         | the debugger is told; `LambdaDebug.DeadlineReached`; new child |
 *
 * "Runs normally" means in this process, exactly as without the proxy. The proxy never throws into the runtime
 * other than with the handler's own outcome or one of its `LambdaDebug.*` errors, and leaves no process, socket
 * or timer behind.
 */
import { randomUUID } from 'node:crypto';
import type { CallingConvention } from '@lambda-debug/shim-protocol';
import { absoluteDeadlineMs, isLambdaContext, type LambdaContextLike } from '../shared/context-shim.js';
import { isStreamingHandler } from '../shared/handler-loader.js';
import { CHILD_START_TIMEOUT_MS } from '../shared/limits.js';
import { type CallerFrames, captureAwaitingFrames, restoreCallerFrames } from '../shared/result-codec.js';
import { activeContexts } from './active-contexts.js';
import { BrokerLink, BrokerLinkError } from './broker-link.js';
import type { ChildStartOptions } from './child-launcher.js';
import { ChildPool } from './child-pool.js';
import { type ProxyConfig, readConfig } from './config.js';
import { type ChildRunResult, DebugSession } from './debug-session.js';
import type { HandlerCall, HandlerOrigin, InvocationDeps } from './invocation-types.js';
import { consoleSink, ProxyLogger } from './proxy-log.js';

export type { HandlerCall, HandlerOrigin, InvocationDeps } from './invocation-types.js';

/** Time the handler needs at the very least after the session, or debugging is not attempted. */
const MIN_SESSION_MS = 200;

/** Period of the timer that keeps the Lambda process alive while the proxy works (it never fires usefully). */
const KEEP_ALIVE_INTERVAL_MS = 60_000;

const NEVER = new Promise<never>(() => undefined);

let proxyVersion: string | undefined;
function readProxyVersion(): string {
  if (proxyVersion === undefined) {
    try {
      proxyVersion = String((require('../../package.json') as { version?: unknown }).version ?? '0.0.0');
    } catch {
      proxyVersion = '0.0.0';
    }
  }
  return proxyVersion;
}

let defaultDeps: InvocationDeps | undefined;

/** The process-wide dependencies: the real environment, the runtime's console, the one warm child. */
export function processDeps(): InvocationDeps {
  defaultDeps ??= { env: process.env, logSink: consoleSink, pool: new ChildPool() };
  return defaultDeps;
}

/**
 * Starts the debug process during the runtime's init, when a handler is wrapped, so that a debugger attaching to
 * the first invocation finds it ready instead of waiting for Node, the inspector bridge and the handler's modules
 * (the init phase runs before the first invocation, and its time is part of a cold start already). Only when the
 * configuration is complete: a missing or malformed variable is reported once, by the invocation. Never throws and
 * never fails init: a child that cannot start is started again by the invocation, which then runs without the
 * debugger if that fails too.
 */
export function prestartChild(origin: HandlerOrigin, deps: InvocationDeps = processDeps()): void {
  try {
    const read = readConfig(deps.env);
    if (!read.ok) return;
    const handlerString = handlerStringFor(origin, deps.env);
    if (handlerString === undefined) return;
    deps.pool.warm({
      handlerString,
      logger: new ProxyLogger(deps.logSink).withLevel(read.config.logLevel),
      timeoutMs: CHILD_START_TIMEOUT_MS,
      env: deps.env,
      ...deps.childOptions,
    });
  } catch {
    // Init must never fail because of the debugger; the invocation tries again and says what went wrong.
  }
}

/** The handler string the child loads: the original's for the wrapper handler, the runtime's otherwise. */
function handlerStringFor(origin: HandlerOrigin, env: NodeJS.ProcessEnv): string | undefined {
  const handlerString = origin === 'wrapper' ? env.DEBUGGER_HANDLER : env._HANDLER;
  return handlerString === undefined || handlerString === '' ? undefined : handlerString;
}

/** Runs one invocation with debugging on. Resolves or rejects exactly as the handler's outcome requires. */
export async function handleInvocation(
  call: HandlerCall,
  deps: InvocationDeps = processDeps(),
): Promise<unknown> {
  const context = call.args[1];
  if (!isLambdaContext(context)) return Reflect.apply(call.target, call.thisArg, call.args);
  const active = activeContexts();
  active.add(context);
  try {
    return await new Invocation(call, context, deps).run();
  } finally {
    active.delete(context);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return Boolean(value) && typeof (value as { then?: unknown }).then === 'function';
}

class Invocation {
  readonly #call: HandlerCall;
  readonly #context: LambdaContextLike;
  readonly #deps: InvocationDeps;
  readonly #convention: CallingConvention;
  #logger: ProxyLogger;

  constructor(call: HandlerCall, context: LambdaContextLike, deps: InvocationDeps) {
    this.#call = call;
    this.#context = context;
    this.#deps = deps;
    this.#convention = typeof call.args[2] === 'function' ? 'callback' : 'promise';
    this.#logger = new ProxyLogger(deps.logSink);
  }

  /**
   * The runtime's frames for errors: those at the call, and those awaiting this invocation (4.x awaits the
   * handler). Taken from inside the await chain, and late enough for the runtime's own promise chain to be
   * linked up (a promise returned from an async function joins its caller's chain a few microtasks later).
   */
  #callerFrames(): CallerFrames {
    return { sync: this.#call.syncFrames, async: captureAwaitingFrames() };
  }

  /**
   * Runs the invocation. While the proxy works (connecting, waiting, talking to the child) a timer keeps the
   * Lambda process's event loop from emptying: the 3.x runtime answers `null` on an empty event loop, which must
   * only ever happen because of the handler. It is released the moment the handler's own answer takes over.
   */
  async run(): Promise<unknown> {
    const keepAlive = setInterval(() => undefined, KEEP_ALIVE_INTERVAL_MS);
    this.#releaseKeepAlive = () => clearInterval(keepAlive);
    try {
      return await this.#orchestrate();
    } finally {
      this.#releaseKeepAlive();
    }
  }

  #releaseKeepAlive: () => void = () => undefined;

  async #orchestrate(): Promise<unknown> {
    const read = readConfig(this.#deps.env);
    if (read.ok) this.#logger = this.#logger.withLevel(read.config.logLevel);
    for (const warning of read.warnings) this.#logger.warn(warning.message);
    if (!read.ok) {
      this.#logger.error(
        `debugging is off for this invocation: ${read.problems.map((problem) => problem.message).join('; ')}`,
      );
      return this.#runInProcess();
    }
    const config = read.config;
    if (isStreamingHandler(this.#call.target)) {
      this.#logger.warn('response streaming handlers run without the debugger; running the handler normally');
      return this.#runInProcess();
    }
    const handlerString = this.#handlerString();
    if (handlerString === undefined) return this.#runInProcess();

    const deadlineMs = absoluteDeadlineMs(this.#context);
    const endByMs = deadlineMs - config.deadlineMarginMs;
    if (endByMs - Date.now() < MIN_SESSION_MS) {
      this.#logger.warn(
        `only ${Math.max(0, deadlineMs - Date.now())} ms left, less than DEBUGGER_DEADLINE_MARGIN_MS (${config.deadlineMarginMs} ms) plus ${MIN_SESSION_MS} ms; running the handler without the debugger`,
      );
      return this.#runInProcess();
    }

    let link: BrokerLink;
    const sessionId = randomUUID();
    try {
      link = await BrokerLink.open({
        url: config.brokerUrl,
        functionId: config.functionId,
        token: config.token,
        runtime: this.#deps.env.AWS_EXECUTION_ENV ?? `node-${process.version}`,
        proxyVersion: readProxyVersion(),
        timeoutMs: Math.max(1, Math.min(config.connectTimeoutMs, endByMs - Date.now())),
        ...(this.#deps.socketOptions ? { socketOptions: this.#deps.socketOptions } : {}),
      });
    } catch (error) {
      this.#logger.warn(
        `${this.#describeLinkFailure(config, error)}; running the handler without the debugger`,
      );
      return this.#runInProcess();
    }
    // The debug process was started during init (or kept from an earlier invocation); one that is missing starts
    // now. The invocation registers once it is ready, so a debugger that attaches finds it ready.
    this.#deps.pool.warm(this.#childOptions(handlerString, endByMs));
    await this.#deps.pool.settled(endByMs - MIN_SESSION_MS - Date.now());
    try {
      await link.register(
        {
          sessionId,
          requestId: this.#context.awsRequestId,
          deadlineMs,
          ...(typeof this.#context.invokedFunctionArn === 'string'
            ? { invokedFunctionArn: this.#context.invokedFunctionArn }
            : {}),
        },
        Math.max(1, Math.min(config.connectTimeoutMs, endByMs - Date.now())),
      );
    } catch (error) {
      await link.close();
      this.#logger.warn(
        `${this.#describeLinkFailure(config, error)}; running the handler without the debugger`,
      );
      return this.#runInProcess();
    }

    // A child started for an invocation nobody debugs stays, warm, for the next one.
    const session = new DebugSession({
      link,
      sessionId,
      config,
      endByMs,
      handlerString,
      logger: this.#logger,
      deps: this.#deps,
      context: this.#context,
      event: this.#call.args[0],
      convention: this.#convention,
      receiverName: this.#receiverName(),
      syncFrames: this.#call.syncFrames,
    });
    const attached = await session.waitForDebugger(Math.min(Date.now() + config.waitMs, endByMs));
    if (attached !== 'attached') {
      if (attached === 'timeout') {
        this.#logger.info(
          `no debugger attached within ${config.waitMs} ms (DEBUGGER_WAIT_MS, bounded by the deadline); running the handler without the debugger`,
        );
        await session.end('no-debugger');
      } else {
        this.#logger.warn(
          'the broker ended the session before a debugger attached; running the handler without the debugger',
        );
        await session.end('lambda-disconnected');
      }
      return this.#runInProcess();
    }
    const result = await session.runInChild();
    switch (result.kind) {
      case 'fallback':
        return this.#runInProcess();
      case 'settled':
        return this.#settleLikeTheChild(result);
      case 'error':
        throw result.error;
    }
  }

  /**
   * Answers the runtime through the same API the handler used in the child: the returned promise, or the
   * runtime's own `callback` / `context.succeed` / `fail` / `done` (then the promise returned to the runtime
   * never settles, exactly as when the handler itself answers through them).
   */
  #settleLikeTheChild(result: Extract<ChildRunResult, { kind: 'settled' }>): Promise<unknown> {
    const { settledBy, failed, payload } = result;
    // From here on the runtime's own rules decide when the answer goes out (an empty event loop included).
    this.#releaseKeepAlive();
    const context = this.#context as unknown as Record<string, unknown>;
    const callback = this.#call.args[2];
    const runtimeFunction = (name: string): ((...args: unknown[]) => unknown) | undefined => {
      const candidate = name === 'callback' ? callback : context[name];
      return typeof candidate === 'function' ? (candidate as (...args: unknown[]) => unknown) : undefined;
    };
    const answer = settledBy === 'promise' || settledBy === 'none' ? undefined : runtimeFunction(settledBy);
    if (settledBy === 'none' && this.#convention === 'callback') return NEVER;
    if (!answer) return failed ? Promise.reject(payload) : Promise.resolve(payload);
    // As the handler called them: `callback(...)` as a function, `context.succeed(...)` as a method of context.
    const call = (...args: unknown[]) =>
      settledBy === 'callback'
        ? Reflect.apply(answer, undefined, args)
        : Reflect.apply(answer, context, args);
    switch (settledBy) {
      case 'callback':
      case 'done':
        if (failed) call(payload);
        else call(null, payload);
        break;
      case 'succeed':
      case 'fail':
        call(payload);
        break;
    }
    return NEVER;
  }

  #childOptions(handlerString: string, endByMs: number): ChildStartOptions {
    return {
      handlerString,
      logger: this.#logger,
      timeoutMs: Math.max(1, Math.min(CHILD_START_TIMEOUT_MS, endByMs - Date.now())),
      env: this.#deps.env,
      ...this.#deps.childOptions,
    };
  }

  #handlerString(): string | undefined {
    const env = this.#deps.env;
    const handlerString = handlerStringFor(this.#call.origin, env);
    if (handlerString === undefined) {
      const variable = this.#call.origin === 'wrapper' ? 'DEBUGGER_HANDLER' : '_HANDLER';
      this.#logger.error(
        `${variable} is not set, so the debug process cannot load the handler; running it without the debugger`,
      );
      return undefined;
    }
    return handlerString;
  }

  #receiverName(): string {
    const name = (this.#call.thisArg as { constructor?: { name?: unknown } } | null | undefined)?.constructor
      ?.name;
    return typeof name === 'string' && name !== '' ? name : 'Runtime';
  }

  #describeLinkFailure(config: ProxyConfig, error: unknown): string {
    const where = `the broker at ${config.brokerDisplay}`;
    if (!(error instanceof BrokerLinkError)) return `could not use ${where}: ${String(error)}`;
    switch (error.kind) {
      case 'unauthorized':
        return `${where} refused DEBUGGER_TOKEN for DEBUGGER_FUNCTION_ID=${config.functionId} (${error.message}); print the right one with \`lambda-debug env --fn ${config.functionId}\``;
      case 'timeout':
        return `${where} did not answer in time (${error.message}; DEBUGGER_CONNECT_TIMEOUT_MS=${config.connectTimeoutMs})`;
      case 'unreachable':
        return `could not reach ${where} (${error.message}); check DEBUGGER_BROKER_ADDRESS and that the broker runs and is reachable from the function`;
      case 'untrusted':
        return `${where} is not trusted: ${error.message}; if a private CA issued its certificate, point NODE_EXTRA_CA_CERTS at that CA's PEM file in the function's environment`;
      case 'refused':
        return `${where} refused this function (${error.message})`;
      case 'protocol':
        return `${where} does not speak this proxy's protocol (${error.message}); update @lambda-debug/proxy or the broker`;
    }
  }

  /** Runs the handler in this process, exactly as the runtime would have without the proxy. */
  #runInProcess(): Promise<unknown> {
    const { target, thisArg, args } = this.#call;
    this.#releaseKeepAlive();
    let result: unknown;
    try {
      result = Reflect.apply(target, thisArg, args);
    } catch (error) {
      restoreCallerFrames(error, this.#callerFrames());
      if (this.#convention === 'callback') {
        // 3.x answers a synchronous throw with `callback(error)`; leave the answer to that callback.
        (args[2] as (error: unknown) => void)(error);
        return NEVER;
      }
      return Promise.reject(error);
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).catch((error: unknown) => {
        restoreCallerFrames(error, { sync: this.#call.syncFrames, async: [] });
        throw error;
      });
    }
    // 3.x ignores a plain return value: the callback, `context.done` or an empty event loop decide the answer.
    return this.#convention === 'callback' ? NEVER : Promise.resolve(result);
  }
}
