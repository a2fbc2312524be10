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
import type {
  CallingConvention,
  InvocationOutcome,
  SessionEndReason,
  SettledBy,
} from '@lambda-debug/shim-protocol';
import type { ClientOptions } from 'ws';
import { activeContexts } from './active-contexts.js';
import { BridgeClient } from './bridge-client.js';
import { BrokerLink, BrokerLinkError, type LinkEvent } from './broker-link.js';
import { type ChildExit, type ChildStartOptions, type DebugChild, describeExit } from './child-launcher.js';
import { ChildPool } from './child-pool.js';
import { type ProxyConfig, readConfig } from './config.js';
import {
  absoluteDeadlineMs,
  isLambdaContext,
  type LambdaContextLike,
  snapshotContext,
} from './context-shim.js';
import { isStreamingHandler } from './handler-loader.js';
import { CHILD_START_TIMEOUT_MS, RUN_IF_WAITING_GRACE_MS } from './limits.js';
import { LambdaDebugError } from './proxy-errors.js';
import { consoleSink, type LogSink, ProxyLogger } from './proxy-log.js';
import { CdpRelay } from './relay.js';
import {
  type CallerFrames,
  captureAwaitingFrames,
  rebuildResult,
  rebuildThrown,
  restoreCallerFrames,
} from './result-codec.js';

/** How the handler being called was wrapped. */
export type HandlerOrigin = 'seed' | 'debuggable' | 'wrapper';

/** The runtime's call to a wrapped handler. */
export interface HandlerCall {
  readonly target: (...args: unknown[]) => unknown;
  readonly thisArg: unknown;
  readonly args: readonly unknown[];
  readonly origin: HandlerOrigin;
  /** The runtime's frames at the call, captured synchronously by the wrapper. */
  readonly syncFrames: readonly string[];
}

/** What an invocation depends on; tests replace parts of it. */
export interface InvocationDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly logSink: LogSink;
  readonly pool: ChildPool;
  /** Overrides for starting the child (its entry script, Node binary, output streams). */
  readonly childOptions?: Partial<Omit<ChildStartOptions, 'handlerString' | 'logger' | 'timeoutMs'>>;
  /** Extra `ws` options for the broker link (a custom CA in tests). */
  readonly socketOptions?: ClientOptions;
}

/** Time the handler needs at the very least after the session, or debugging is not attempted. */
const MIN_SESSION_MS = 200;

/** Period of the timer that keeps the Lambda process alive while the proxy works (it never fires usefully). */
const KEEP_ALIVE_INTERVAL_MS = 60_000;

/** How long the bridge may take to hand over its last messages (a notice, a last reply) before the session ends. */
const FLUSH_TIMEOUT_MS = 300;

const NEVER = new Promise<never>(() => undefined);

let proxyVersion: string | undefined;
function readProxyVersion(): string {
  if (proxyVersion === undefined) {
    try {
      proxyVersion = String((require('../package.json') as { version?: unknown }).version ?? '0.0.0');
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

type SessionOutcome =
  | { readonly kind: 'result'; readonly outcome: InvocationOutcome }
  | { readonly kind: 'exit'; readonly exit: ChildExit }
  | { readonly kind: 'deadline' };

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

/** What running in the child produced. */
type ChildRunResult =
  /** The handler's outcome, and which runtime API delivered it. */
  | {
      readonly kind: 'settled';
      readonly settledBy: SettledBy;
      readonly failed: boolean;
      readonly payload: unknown;
    }
  /** The proxy's own failure (a `LambdaDebugError`). */
  | { readonly kind: 'error'; readonly error: unknown }
  /** The child could not be used: run in this process. */
  | { readonly kind: 'fallback' };

interface SessionOptions {
  readonly link: BrokerLink;
  readonly sessionId: string;
  readonly config: ProxyConfig;
  readonly endByMs: number;
  readonly handlerString: string;
  readonly logger: ProxyLogger;
  readonly deps: InvocationDeps;
  readonly context: LambdaContextLike;
  readonly event: unknown;
  readonly convention: CallingConvention;
  readonly receiverName: string;
  /** The runtime's frames at the call (the async ones are taken later, once the runtime's await chain is linked). */
  readonly syncFrames: readonly string[];
}

/** A resolvable promise. */
class Signal<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.#resolve = resolve;
    });
  }

  resolve(value: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(value);
  }

  get settled(): boolean {
    return this.#settled;
  }
}

/** The registered session: waiting for a debugger, then running the handler in the child. */
class DebugSession {
  readonly #options: SessionOptions;
  readonly #logger: ProxyLogger;
  #relay: CdpRelay | undefined;
  #child: DebugChild | undefined;
  #linkGone = false;
  #ended = false;
  #attached = new Signal<'attached' | 'gone'>();
  #runRequested = new Signal<void>();
  #bridgeConnected = new Signal<void>();
  #timers = new Set<NodeJS.Timeout>();
  #frames: CallerFrames | undefined;
  /** Relays of debuggers that left a paused handler, each with the timer that ends its reconnect grace. */
  readonly #heldRelays = new Map<CdpRelay, NodeJS.Timeout>();

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#logger = options.logger;
    options.link.setListener((event) => this.#onLinkEvent(event));
  }

  #sleep(untilMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          resolve();
        },
        Math.max(0, untilMs - Date.now()),
      );
      this.#timers.add(timer);
    });
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Waits for a debugger until `untilMs`. */
  async waitForDebugger(untilMs: number): Promise<'attached' | 'gone' | 'timeout'> {
    const result = await Promise.race([
      this.#attached.promise,
      this.#sleep(untilMs).then(() => 'timeout' as const),
    ]);
    this.#clearTimers();
    return result;
  }

  /** Ends the session at the broker and closes the link, after the debugger got every message meant for it. */
  async end(reason: SessionEndReason, message?: string): Promise<void> {
    if (this.#ended) return;
    const bridge = this.#relay?.bridge;
    if (bridge) await bridge.flush(FLUSH_TIMEOUT_MS);
    if (this.#ended) return;
    this.#ended = true;
    this.#options.link.setListener(undefined);
    this.#relay?.close();
    this.#relay = undefined;
    this.#releaseHeldRelays();
    await this.#options.link.endSession(this.#options.sessionId, reason, message);
  }

  #onLinkEvent(event: LinkEvent): void {
    if (this.#ended) return;
    const { sessionId } = this.#options;
    switch (event.type) {
      case 'cdp':
        this.#logger.debug(
          `CDP message from the debugger (${event.payload.length} bytes)${this.#relay ? '' : ' dropped: no debugger attached'}`,
        );
        if (event.sessionId !== sessionId || !this.#relay) return;
        if (!this.#relay.fromDebugger(event.payload)) {
          this.#logger.warn(
            'the debugger sent more than the queue allows before the debug process was ready; dropping this debugger',
          );
          this.#detachDebugger();
        }
        return;
      case 'debugger-attached': {
        if (event.sessionId !== sessionId) return;
        this.#relay?.close();
        const relay = new CdpRelay();
        this.#relay = relay;
        this.#logger.info(
          `debugger attached${event.remoteAddress ? ` from ${event.remoteAddress}` : ''}; the handler runs in a debug process`,
        );
        this.#attached.resolve('attached');
        if (this.#child) void this.#connectBridge(relay, this.#child);
        return;
      }
      case 'debugger-detached':
        if (event.sessionId !== sessionId) return;
        this.#onDebuggerDetached(event.reason);
        return;
      case 'session-end':
        if (event.sessionId !== sessionId) return;
        this.#logger.warn(
          `the broker ended the session (${event.reason}${event.message ? `: ${event.message}` : ''}); the handler carries on without the debugger`,
        );
        this.#loseLink();
        return;
      case 'closed':
        if (!this.#linkGone) {
          this.#logger.warn(
            `the connection to the broker closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''}); the handler carries on without the debugger`,
          );
        }
        this.#loseLink();
        return;
    }
  }

  #detachDebugger(): void {
    this.#relay?.close();
    this.#relay = undefined;
    // Nobody is left to send runIfWaitingForDebugger: do not hold the handler back.
    this.#runRequested.resolve();
  }

  #loseLink(): void {
    this.#linkGone = true;
    this.#detachDebugger();
    // No debugger can come back without the link: a held pause would only delay the handler.
    this.#releaseHeldRelays();
    this.#attached.resolve('gone');
  }

  /**
   * The debugger left. A handler it left paused stays paused for `DEBUGGER_RECONNECT_GRACE_MS` (never past the
   * deadline less the margin), so a debugger that attaches again within it finds the pause as it was; after that
   * the handler resumes, as on any detach. A running handler carries on at once.
   */
  #onDebuggerDetached(reason: string): void {
    const relay = this.#relay;
    const bridge = relay?.bridge;
    const { config, endByMs } = this.#options;
    const graceMs = Math.min(config.reconnectGraceMs, endByMs - Date.now());
    if (!relay || !bridge || graceMs <= 0) {
      this.#logger.info(`debugger detached (${reason}); the handler carries on without it`);
      this.#detachDebugger();
      return;
    }
    this.#relay = undefined;
    this.#runRequested.resolve();
    const timer = setTimeout(() => {
      if (!this.#heldRelays.has(relay)) return;
      this.#logger.info(
        this.#relay
          ? `the debugger that attached again did not enable its Debugger domain within ${graceMs} ms (DEBUGGER_RECONNECT_GRACE_MS); the handler carries on`
          : `no debugger attached again within ${graceMs} ms (DEBUGGER_RECONNECT_GRACE_MS); the handler carries on without one`,
      );
      this.#releaseHeldRelay(relay);
    }, graceMs);
    this.#heldRelays.set(relay, timer);
    void bridge.hold().then((held) => {
      if (!this.#heldRelays.has(relay)) return;
      if (held) {
        this.#logger.info(
          `debugger detached (${reason}) while the handler was paused; it stays paused for up to ${graceMs} ms (DEBUGGER_RECONNECT_GRACE_MS) for a debugger to attach again`,
        );
        return;
      }
      this.#logger.info(`debugger detached (${reason}); the handler carries on without it`);
      this.#releaseHeldRelay(relay);
    });
  }

  /** Ends a departed debugger's held session: unless another debugger has the pause, the handler resumes. */
  #releaseHeldRelay(relay: CdpRelay): void {
    clearTimeout(this.#heldRelays.get(relay));
    this.#heldRelays.delete(relay);
    relay.close();
  }

  #releaseHeldRelays(): void {
    for (const relay of [...this.#heldRelays.keys()]) this.#releaseHeldRelay(relay);
  }

  /** A bridge connection ended; for a held one that means the bridge handed its pause to a new debugger. */
  #onBridgeClosed(relay: CdpRelay): void {
    if (!this.#heldRelays.has(relay)) return;
    this.#releaseHeldRelay(relay);
    if (this.#relay) this.#logger.info('the debugger that attached again took over the paused handler');
  }

  async #connectBridge(relay: CdpRelay, child: DebugChild): Promise<void> {
    const { link, sessionId } = this.#options;
    try {
      const bridge = await BridgeClient.connect(
        child.inspector,
        child.nonce,
        {
          onCdp: (payload) => {
            if (this.#relay === relay) link.sendCdp(sessionId, payload);
          },
          onRunRequested: () => {
            if (this.#relay === relay) this.#runRequested.resolve();
          },
          onClose: () => this.#onBridgeClosed(relay),
        },
        Math.max(1, this.#options.endByMs - Date.now()),
      );
      this.#logger.debug(`inspector bridge connected; flushing ${relay.queuedBytes} queued bytes`);
      relay.connect(bridge);
      if (this.#relay === relay) this.#bridgeConnected.resolve();
    } catch (error) {
      this.#logger.error(`could not connect the debugger to the debug process: ${String(error)}`);
      if (this.#relay === relay) this.#detachDebugger();
    }
  }

  /** Starts (or reuses) the child, runs the handler in it with the debugger attached, returns its outcome. */
  async runInChild(): Promise<ChildRunResult> {
    const { deps, handlerString, endByMs } = this.#options;
    const pool = deps.pool;
    let child: DebugChild;
    try {
      child = await pool.acquire({
        handlerString,
        logger: this.#logger,
        timeoutMs: Math.max(1, Math.min(CHILD_START_TIMEOUT_MS, endByMs - Date.now())),
        env: deps.env,
        ...deps.childOptions,
      });
    } catch (error) {
      const message = `the debug process could not start (${error instanceof Error ? error.message : String(error)})`;
      this.#logger.error(`${message}; running the handler without the debugger`);
      await this.end('proxy-error', message);
      return { kind: 'fallback' };
    }
    this.#child = child;
    let healthy = false;
    try {
      const outcome = await this.#runHandler(child);
      healthy = outcome.kind === 'result';
      return await this.#finish(outcome);
    } catch (error) {
      this.#logger.error(
        `internal error while debugging: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      await this.end('proxy-error', 'internal error in the proxy');
      return {
        kind: 'error',
        error: new LambdaDebugError(
          'LambdaDebug.InternalError',
          'The debugging proxy failed while the handler ran in the debug process; the invocation was stopped. Run again, and report this with the function log if it repeats.',
        ),
      };
    } finally {
      this.#clearTimers();
      this.#releaseHeldRelays();
      await pool.release(child, healthy);
    }
  }

  async #runHandler(child: DebugChild): Promise<SessionOutcome> {
    const { config, endByMs, context } = this.#options;
    const outcome = new Signal<SessionOutcome>();
    // This timer also keeps the Lambda process's event loop alive while the child works: everything about the
    // child is unref'd so that the runtime's own "empty event loop" logic is not disturbed between invocations.
    void this.#sleep(endByMs).then(() => outcome.resolve({ kind: 'deadline' }));
    void child.exited().then((exit) => outcome.resolve({ kind: 'exit', exit }));
    const invocationId = nextInvocationId++;
    child.setMessageListener((message) => {
      if (message.type === 'result' && message.invocationId === invocationId) {
        outcome.resolve({ kind: 'result', outcome: message.outcome });
      } else if (message.type === 'callback-waits' && message.invocationId === invocationId) {
        const descriptor = Object.getOwnPropertyDescriptor(context, 'callbackWaitsForEmptyEventLoop');
        if (descriptor?.set) descriptor.set.call(context, message.value);
      }
    });

    if (this.#relay) void this.#connectBridge(this.#relay, child);
    // Hold the handler until the debugger is set up: it says so with Runtime.runIfWaitingForDebugger. A client
    // that never sends it gets RUN_IF_WAITING_GRACE_MS from the moment its bridge connection is up.
    const graceOver = this.#bridgeConnected.promise.then(() =>
      this.#sleep(Math.min(Date.now() + RUN_IF_WAITING_GRACE_MS, endByMs)),
    );
    const ready = await Promise.race([
      this.#runRequested.promise.then(() => 'go' as const),
      graceOver.then(() => 'go' as const),
      outcome.promise,
    ]);
    if (ready !== 'go') return ready;
    if (!this.#runRequested.settled && this.#relay) {
      this.#logger.info(
        `the debugger did not send Runtime.runIfWaitingForDebugger within ${RUN_IF_WAITING_GRACE_MS} ms; starting the handler`,
      );
    }
    // Taken here, inside the runtime's await chain and well after it was linked up.
    const frames: CallerFrames = { sync: this.#options.syncFrames, async: captureAwaitingFrames() };
    this.#frames = frames;
    const snapshot = snapshotContext(context);
    const traceId = snapshot.xRayTraceId ?? this.#options.deps.env._X_AMZN_TRACE_ID;
    child.send({
      type: 'invoke',
      invocationId,
      event: this.#options.event,
      context: traceId === undefined ? snapshot : { ...snapshot, xRayTraceId: traceId },
      breakOnStart: config.breakOnStart && this.#relay !== undefined,
      convention: this.#options.convention,
      receiverName: this.#options.receiverName,
      callerFrames: frames,
    });
    // A send that fails means the child is gone: its exit settles the outcome.
    return outcome.promise;
  }

  async #finish(outcome: SessionOutcome): Promise<ChildRunResult> {
    const { config } = this.#options;
    switch (outcome.kind) {
      case 'result': {
        await this.end('completed');
        const result = outcome.outcome;
        const settledBy = result.settledBy ?? 'promise';
        if (result.kind === 'value') {
          return { kind: 'settled', settledBy, failed: false, payload: rebuildResult(result) };
        }
        return {
          kind: 'settled',
          settledBy,
          failed: true,
          payload: rebuildThrown(result.error, this.#frames),
        };
      }
      case 'exit': {
        const what = describeExit(outcome.exit);
        const message = `The handler's debug process ended before the handler returned: ${what}. The next invocation starts a new debug process.`;
        this.#logger.error(`the debug process ended during the invocation: ${what}`);
        await this.end('child-crashed', what);
        const crashStack = outcome.exit.crash?.error.stack;
        const frames = crashStack?.split('\n').filter((line) => /^\s+at /.test(line)) ?? [];
        return {
          kind: 'error',
          error: new LambdaDebugError('LambdaDebug.ChildCrashed', message, {
            stack: [`LambdaDebug.ChildCrashed: ${message}`, ...frames].join('\n'),
          }),
        };
      }
      case 'deadline': {
        const text = `lambda-debug: this invocation reaches its deadline in ${config.deadlineMarginMs} ms (DEBUGGER_DEADLINE_MARGIN_MS); the debugging session ends now and the invocation fails.`;
        this.#logger.warn(
          `the invocation reached its deadline less DEBUGGER_DEADLINE_MARGIN_MS (${config.deadlineMarginMs} ms) while being debugged; ending the session`,
        );
        this.#relay?.bridge?.notice(text, 'warning');
        await this.end('deadline', 'the invocation reached its deadline');
        return {
          kind: 'error',
          error: new LambdaDebugError(
            'LambdaDebug.DeadlineReached',
            `The invocation reached its deadline (less DEBUGGER_DEADLINE_MARGIN_MS=${config.deadlineMarginMs} ms) while being debugged, so the debugging session was ended and the handler stopped. Raise the function's timeout to debug for longer.`,
          ),
        };
      }
    }
  }
}

let nextInvocationId = 1;
