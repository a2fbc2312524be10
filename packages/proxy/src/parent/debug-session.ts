import type {
  CallingConvention,
  InvocationOutcome,
  SessionEndReason,
  SettledBy,
} from '@lambda-debug/shim-protocol';
import { type LambdaContextLike, snapshotContext } from '../shared/context-shim.js';
import { CHILD_START_TIMEOUT_MS, FLUSH_TIMEOUT_MS, RUN_IF_WAITING_GRACE_MS } from '../shared/limits.js';
import {
  type CallerFrames,
  captureAwaitingFrames,
  rebuildResult,
  rebuildThrown,
} from '../shared/result-codec.js';
import { BridgeClient } from './bridge-client.js';
import type { BrokerLink, LinkEvent } from './broker-link.js';
import { CdpRelay } from './cdp-relay.js';
import { type ChildExit, type DebugChild, describeExit } from './child-launcher.js';
import type { ProxyConfig } from './config.js';
import type { InvocationDeps } from './invocation-types.js';
import { LambdaDebugError } from './proxy-errors.js';
import type { ProxyLogger } from './proxy-log.js';
import {
  END_WARNINGS_SECONDS,
  endWarningNotice,
  httpCallerNotice,
  httpCallerOf,
  invocationStartNotice,
} from './session-notices.js';
import { Signal } from './signal.js';

type SessionOutcome =
  | { readonly kind: 'result'; readonly outcome: InvocationOutcome }
  | { readonly kind: 'exit'; readonly exit: ChildExit }
  | { readonly kind: 'deadline' };

/** What running in the child produced. */
export type ChildRunResult =
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

export interface SessionOptions {
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

/** The registered session: waiting for a debugger, then running the handler in the child. */
export class DebugSession {
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

  /** Tells the debugger which invocation it has and how long, and warns it before the end (see session-notices). */
  #announceInvocation(): void {
    const bridge = this.#relay?.bridge;
    if (!bridge) return;
    const { endByMs, context, event } = this.#options;
    bridge.notice(invocationStartNotice(context.awsRequestId, endByMs), 'info');
    const caller = httpCallerOf(event);
    if (caller) bridge.notice(httpCallerNotice(caller), 'warning');
    for (const seconds of END_WARNINGS_SECONDS) {
      const atMs = endByMs - seconds * 1000;
      if (atMs <= Date.now()) continue;
      // The relay may change (a debugger that comes back after leaving): warn whichever is attached then.
      void this.#sleep(atMs).then(() =>
        this.#relay?.bridge?.notice(endWarningNotice(seconds, endByMs), 'warning'),
      );
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
    this.#announceInvocation();
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
