import { EventEmitter } from 'node:events';
import {
  type BrokerMessage,
  CloseCode,
  type CloseCodeValue,
  type DebuggerDetachReason,
  LAMBDA_MAX_TIMEOUT_MS,
  type ProxySessionEndMessage,
  type RegisterMessage,
  type SessionEndReason,
  type SessionEvent,
  type SessionEventType,
  type SessionState,
  type SessionSummary,
} from '@lambda-debug/shim-protocol';
import type { Logger } from 'winston';
import type { WebSocket } from 'ws';
import type { NoticeLevel } from './cdp-notices.js';
import { redactText } from './logger.js';
import type { BrokerLimits } from './options.js';

/** The Lambda side of sessions, as the registry sees it: one authenticated proxy link. */
export interface LambdaPeer {
  readonly connectionId: string;
  readonly functionId: string;
  readonly runtime: string;
  readonly remoteAddress: string;
  readonly socket: WebSocket;
  sendControl(message: BrokerMessage): void;
  /** Forwards one CDP payload from a debugger, pausing `source` if the link is congested. */
  forwardCdp(sessionId: string, payload: Buffer, source: WebSocket | undefined): void;
}

/** The debugger side of a session, as the registry sees it: one authenticated debugger WebSocket. */
export interface DebuggerPeer {
  readonly debuggerId: string;
  readonly functionId: string;
  readonly remoteAddress: string;
  readonly socket: WebSocket;
  /** The session it is attached to; set only by the registry. */
  session: Session | undefined;
  /** True while it waits for an invocation; set only by the registry. */
  held: boolean;
  /** What it sent while held, oldest first; the call empties the queue. */
  takeQueued(): Buffer[];
  /** Forwards one CDP payload from the Lambda side, pausing `source` if this debugger reads slowly. */
  forwardCdp(payload: Buffer, source: WebSocket | undefined): void;
  /** Shows a line in the debugger's console. */
  notify(level: NoticeLevel, text: string): void;
  /** Shows `notice` (when given) in the debugger's console, then closes its socket with `code`. */
  close(code: CloseCodeValue, reason: string, notice?: string): void;
}

/** Where a debugger asked to go: a function's next free session, or one session by id. */
export interface AttachTarget {
  readonly functionId: string;
  readonly sessionId?: string;
}

/** One invocation, from `register` to its end. */
export class Session {
  readonly sessionId: string;
  readonly functionId: string;
  readonly requestId: string;
  readonly deadlineMs: number;
  readonly registeredAtMs: number;
  readonly lambda: LambdaPeer;
  debugger: DebuggerPeer | undefined;
  state: SessionState = 'waiting';
  endReason: SessionEndReason | undefined;
  /** When the current debugger attached. */
  attachedAtMs: number | undefined;
  /** Time spent with a debugger attached, over every attachment that already ended. */
  attachedTotalMs = 0;
  /** When a debugger last left; a debugger reconnecting to the function is given this session back first. */
  lastDetachedAtMs: number | undefined;

  constructor(lambda: LambdaPeer, message: RegisterMessage, nowMs: number) {
    this.lambda = lambda;
    this.sessionId = message.sessionId;
    this.functionId = lambda.functionId;
    this.requestId = message.requestId;
    this.deadlineMs = message.deadlineMs;
    this.registeredAtMs = nowMs;
  }

  /** The session as the admin API and events show it. */
  summary(): SessionSummary {
    return {
      sessionId: this.sessionId,
      functionId: this.functionId,
      requestId: this.requestId,
      state: this.state,
      runtime: this.lambda.runtime,
      registeredAtMs: this.registeredAtMs,
      deadlineMs: this.deadlineMs,
      ...(this.debugger ? { debuggerAddress: this.debugger.remoteAddress } : {}),
      ...(this.endReason ? { endReason: this.endReason } : {}),
    };
  }

  /** Total time with a debugger attached, including the current attachment. */
  attachedMs(nowMs: number): number {
    return this.attachedTotalMs + (this.attachedAtMs === undefined ? 0 : nowMs - this.attachedAtMs);
  }
}

/** How a debugger is told that its session ended, for each reason a session can end. */
const DEBUGGER_CLOSE_FOR_END: Readonly<Record<SessionEndReason, { code: CloseCodeValue; text: string }>> = {
  completed: { code: CloseCode.NORMAL, text: 'the invocation finished' },
  'no-debugger': { code: CloseCode.SESSION_ENDED, text: 'the invocation ran without a debugger' },
  deadline: { code: CloseCode.DEADLINE, text: "the invocation's deadline was near" },
  'child-crashed': { code: CloseCode.SESSION_ENDED, text: "the function's process crashed" },
  'proxy-error': { code: CloseCode.SESSION_ENDED, text: 'the proxy in the Lambda hit an error' },
  'lambda-disconnected': { code: CloseCode.LAMBDA_GONE, text: 'the Lambda disconnected from the broker' },
  'broker-shutdown': { code: CloseCode.GOING_AWAY, text: 'the broker is shutting down' },
  'heartbeat-timeout': { code: CloseCode.LAMBDA_GONE, text: 'the Lambda stopped answering (frozen or gone)' },
};

/** The result of a `register`, as the proxy is told. */
export type RegisterOutcome = 'registered' | 'duplicate-session' | 'capacity' | 'deadline-too-far';

/**
 * Every live session and held debugger, and the rules that pair them. All pairing decisions happen here, in
 * one synchronous step each, so there is no window in which two events can interleave: a session is keyed by
 * its own id (never by function id), and every map entry is removed in the same step that ends its owner.
 */
export class SessionRegistry {
  /** Emits `'session'` with a `SessionEvent` on every change. */
  readonly events = new EventEmitter();
  #limits: Readonly<BrokerLimits>;
  #logger: Logger;
  #sessions = new Map<string, Session>();
  /** Sessions per function, in registration order (oldest first). */
  #byFunction = new MemberIndex<string, Session>();
  /** Sessions per proxy link. */
  #byLambda = new MemberIndex<LambdaPeer, Session>();
  /** Held debuggers per function, in arrival order. */
  #held = new Map<string, DebuggerPeer[]>();
  #heldCount = 0;
  /**
   * Whether CDP traffic is logged. Winston formats a line before its transports filter by level, so on the
   * relay's hot path the level is checked once, at start, instead of paying for a discarded line per message.
   */
  #logCdp: boolean;

  constructor(options: { limits: Readonly<BrokerLimits>; logger: Logger }) {
    this.#limits = options.limits;
    this.#logger = options.logger;
    this.#logCdp = options.logger.isLevelEnabled('debug');
    // Admin watchers come and go; the emitter must not warn about them.
    this.events.setMaxListeners(0);
  }

  /** Live sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Debuggers waiting for an invocation. */
  get heldCount(): number {
    return this.#heldCount;
  }

  /** Live sessions, oldest first, optionally only one function's. */
  list(functionId?: string): Session[] {
    if (functionId !== undefined) return this.#byFunction.members(functionId);
    return [...this.#sessions.values()];
  }

  /** Function ids that have live sessions or held debuggers. */
  activeFunctionIds(): string[] {
    return [...new Set([...this.#byFunction.keys(), ...this.#held.keys()])];
  }

  // ---- Lambda side --------------------------------------------------------------------------------------

  /** Records a new invocation, answers the proxy, and pairs it with a held debugger if one waits. */
  register(lambda: LambdaPeer, message: RegisterMessage): RegisterOutcome {
    const { sessionId } = message;
    if (this.#sessions.has(sessionId)) {
      lambda.sendControl({
        type: 'error',
        code: 'duplicate-session',
        sessionId,
        message: `session id ${sessionId} is already registered; use a fresh id per invocation`,
      });
      return 'duplicate-session';
    }
    if (this.#sessions.size >= this.#limits.maxSessions) {
      this.#logger.warn('session refused: broker at capacity', {
        functionId: lambda.functionId,
        sessionId,
        maxSessions: this.#limits.maxSessions,
      });
      lambda.sendControl({
        type: 'error',
        code: 'capacity',
        sessionId,
        message: `the broker already holds ${this.#limits.maxSessions} sessions (maxSessions); try again later`,
      });
      return 'capacity';
    }
    const { maxSessionsPerFunction, deadlineGraceMs } = this.#limits;
    if (this.#byFunction.count(lambda.functionId) >= maxSessionsPerFunction) {
      this.#logger.warn('session refused: function at capacity', {
        functionId: lambda.functionId,
        sessionId,
        maxSessionsPerFunction,
      });
      lambda.sendControl({
        type: 'error',
        code: 'capacity',
        sessionId,
        message: `function ${lambda.functionId} already has ${maxSessionsPerFunction} sessions (maxSessionsPerFunction); try again later`,
      });
      return 'capacity';
    }
    const now = Date.now();
    // No invocation outlives Lambda's maximum; a later deadline would keep the session (and its slot) forever.
    const latestDeadlineMs = now + LAMBDA_MAX_TIMEOUT_MS + deadlineGraceMs;
    if (message.deadlineMs > latestDeadlineMs) {
      this.#logger.warn('session refused: deadline too far', {
        functionId: lambda.functionId,
        sessionId,
        deadlineInMs: message.deadlineMs - now,
      });
      lambda.sendControl({
        type: 'error',
        code: 'deadline-too-far',
        sessionId,
        message:
          `the deadline is ${Math.round((message.deadlineMs - now) / 1000)} s away; an invocation runs at most ` +
          `${LAMBDA_MAX_TIMEOUT_MS / 1000} s (plus ${deadlineGraceMs / 1000} s for clock skew, deadlineGraceMs): ` +
          "send the invocation's own deadline",
      });
      return 'deadline-too-far';
    }
    const session = new Session(lambda, message, now);
    this.#sessions.set(sessionId, session);
    this.#byFunction.add(session.functionId, session);
    this.#byLambda.add(lambda, session);
    lambda.sendControl({ type: 'registered', sessionId });
    this.#logger.info('session registered', {
      sessionId,
      functionId: session.functionId,
      requestId: session.requestId,
      runtime: lambda.runtime,
      lambdaConnection: lambda.connectionId,
      deadlineInMs: session.deadlineMs - now,
    });
    this.#emit('session-registered', session, now);
    this.#pairHeld(session);
    return 'registered';
  }

  /** The proxy ended one of its sessions. Ids it does not own are ignored (it may have been ended here first). */
  endFromProxy(lambda: LambdaPeer, message: ProxySessionEndMessage): void {
    const session = this.#sessions.get(message.sessionId);
    if (session?.lambda !== lambda) return;
    this.#end(session, message.reason, { notifyProxy: false, detail: message.message });
  }

  /** A CDP payload from the Lambda side: to the attached debugger, or dropped when none is attached. */
  relayFromLambda(lambda: LambdaPeer, sessionId: string, payload: Buffer): void {
    const session = this.#sessions.get(sessionId);
    if (session?.lambda !== lambda || !session.debugger) {
      if (this.#logCdp)
        this.#logger.debug('cdp frame dropped: no debugger attached', { sessionId, bytes: payload.length });
      return;
    }
    if (this.#logCdp) this.#logger.debug('cdp lambda->debugger', { sessionId, bytes: payload.length });
    session.debugger.forwardCdp(payload, lambda.socket);
  }

  /** The proxy link closed: every session it carried ends, and their debuggers are told. */
  lambdaGone(lambda: LambdaPeer, reason: SessionEndReason): void {
    for (const session of this.#byLambda.members(lambda)) {
      this.#end(session, reason, { notifyProxy: false });
    }
  }

  /** Ends sessions whose invocation deadline passed more than `deadlineGraceMs` ago. */
  expireDeadlines(nowMs: number): void {
    for (const session of [...this.#sessions.values()]) {
      if (nowMs - session.deadlineMs > this.#limits.deadlineGraceMs) {
        this.#end(session, 'deadline', { notifyProxy: true, detail: 'the broker saw the deadline pass' });
      }
    }
  }

  // ---- debugger side ------------------------------------------------------------------------------------

  /** A debugger connected: attach it, hold it until an invocation comes, or refuse it. */
  connectDebugger(peer: DebuggerPeer, target: AttachTarget): void {
    if (target.sessionId !== undefined) {
      const session = this.#sessions.get(target.sessionId);
      if (session?.functionId !== target.functionId) {
        this.#logger.info('debugger refused: no such session', {
          functionId: target.functionId,
          sessionId: target.sessionId,
          debuggerAddress: peer.remoteAddress,
        });
        peer.close(
          CloseCode.SESSION_NOT_FOUND,
          'session not found',
          `session ${target.sessionId} of ${target.functionId} has ended or never existed; ` +
            `connect to /${target.functionId} to take the next invocation`,
        );
        return;
      }
      const previous = session.debugger;
      if (previous) {
        this.#detach(session, previous, 'replaced');
        previous.close(
          CloseCode.REPLACED,
          'replaced by another debugger',
          'another debugger took over this session',
        );
      }
      this.#attach(session, peer);
      return;
    }
    const free = this.#freeSession(target.functionId);
    if (free) {
      this.#attach(free, peer);
      return;
    }
    if (this.#heldCount >= this.#limits.maxHeldDebuggers) {
      this.#logger.warn('debugger refused: too many held debuggers', {
        functionId: target.functionId,
        maxHeldDebuggers: this.#limits.maxHeldDebuggers,
      });
      peer.close(
        CloseCode.CAPACITY,
        'too many debuggers waiting',
        `the broker already holds ${this.#limits.maxHeldDebuggers} waiting debuggers (maxHeldDebuggers)`,
      );
      return;
    }
    const { maxHeldDebuggersPerFunction } = this.#limits;
    if ((this.#held.get(target.functionId)?.length ?? 0) >= maxHeldDebuggersPerFunction) {
      this.#logger.warn('debugger refused: too many held debuggers for the function', {
        functionId: target.functionId,
        maxHeldDebuggersPerFunction,
      });
      peer.close(
        CloseCode.CAPACITY,
        'too many debuggers waiting for this function',
        `${maxHeldDebuggersPerFunction} debuggers already wait for ${target.functionId} (maxHeldDebuggersPerFunction)`,
      );
      return;
    }
    peer.held = true;
    const queue = this.#held.get(target.functionId) ?? [];
    queue.push(peer);
    this.#held.set(target.functionId, queue);
    this.#heldCount += 1;
    this.#logger.info('debugger held until an invocation arrives', {
      functionId: target.functionId,
      debuggerId: peer.debuggerId,
      debuggerAddress: peer.remoteAddress,
      heldDebuggers: this.#heldCount,
    });
    peer.notify('log', `waiting for an invocation of ${target.functionId}…`);
  }

  /** A debugger's socket closed, or it was dropped: release whatever it held. */
  debuggerGone(peer: DebuggerPeer, reason: DebuggerDetachReason): void {
    if (peer.held) {
      this.#unhold(peer);
      this.#logger.info('held debugger left', {
        functionId: peer.functionId,
        debuggerId: peer.debuggerId,
        reason,
      });
      return;
    }
    const session = peer.session;
    if (!session || session.debugger !== peer) return;
    this.#detach(session, peer, reason);
    this.#pairHeld(session);
  }

  /** A CDP payload from a debugger: to its session's proxy link. */
  relayFromDebugger(peer: DebuggerPeer, payload: Buffer): void {
    const session = peer.session;
    if (!session || session.debugger !== peer) return;
    if (this.#logCdp)
      this.#logger.debug('cdp debugger->lambda', { sessionId: session.sessionId, bytes: payload.length });
    session.lambda.forwardCdp(session.sessionId, payload, peer.socket);
  }

  // ---- shutdown -----------------------------------------------------------------------------------------

  /** Ends every session (telling both sides) and sends every held debugger away. */
  shutdown(): void {
    for (const session of [...this.#sessions.values()]) {
      this.#end(session, 'broker-shutdown', { notifyProxy: true });
    }
    for (const queue of [...this.#held.values()]) {
      for (const peer of [...queue]) {
        this.#unhold(peer);
        peer.close(CloseCode.GOING_AWAY, 'broker shutting down', 'the broker is shutting down');
      }
    }
  }

  // ---- internals ----------------------------------------------------------------------------------------

  /** The session a debugger arriving at `/<functionId>` gets: the one it most recently left, else the oldest. */
  #freeSession(functionId: string): Session | undefined {
    let best: Session | undefined;
    for (const session of this.#byFunction.members(functionId)) {
      if (session.debugger) continue;
      if (!best) best = session;
      else if ((session.lastDetachedAtMs ?? -1) > (best.lastDetachedAtMs ?? -1)) best = session;
    }
    return best;
  }

  #pairHeld(session: Session): void {
    if (session.debugger) return;
    const peer = this.#held.get(session.functionId)?.[0];
    if (!peer) return;
    this.#unhold(peer);
    this.#attach(session, peer);
  }

  #unhold(peer: DebuggerPeer): void {
    const queue = this.#held.get(peer.functionId);
    const index = queue?.indexOf(peer) ?? -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    if (queue.length === 0) this.#held.delete(peer.functionId);
    this.#heldCount -= 1;
    peer.held = false;
  }

  #attach(session: Session, peer: DebuggerPeer): void {
    const now = Date.now();
    session.debugger = peer;
    session.state = 'attached';
    session.attachedAtMs = now;
    peer.session = session;
    session.lambda.sendControl({
      type: 'debugger-attached',
      sessionId: session.sessionId,
      debuggerId: peer.debuggerId,
      remoteAddress: peer.remoteAddress,
    });
    // Commands sent while held go first, in order, before anything the debugger sends from now on.
    const queued = peer.takeQueued();
    for (const payload of queued) session.lambda.forwardCdp(session.sessionId, payload, peer.socket);
    this.#logger.info('debugger attached', {
      sessionId: session.sessionId,
      functionId: session.functionId,
      requestId: session.requestId,
      debuggerId: peer.debuggerId,
      debuggerAddress: peer.remoteAddress,
      waitedMs: now - session.registeredAtMs,
      queuedMessages: queued.length,
    });
    this.#emit('debugger-attached', session, now);
  }

  #detach(session: Session, peer: DebuggerPeer, reason: DebuggerDetachReason): void {
    const now = Date.now();
    session.attachedTotalMs = session.attachedMs(now);
    const attachedMs = now - (session.attachedAtMs ?? now);
    session.attachedAtMs = undefined;
    session.lastDetachedAtMs = now;
    session.debugger = undefined;
    session.state = 'waiting';
    peer.session = undefined;
    session.lambda.sendControl({
      type: 'debugger-detached',
      sessionId: session.sessionId,
      debuggerId: peer.debuggerId,
      reason,
    });
    this.#logger.info('debugger detached', {
      sessionId: session.sessionId,
      functionId: session.functionId,
      debuggerId: peer.debuggerId,
      reason,
      attachedMs,
    });
    this.#emit('debugger-detached', session, now);
  }

  #end(session: Session, reason: SessionEndReason, options: { notifyProxy: boolean; detail?: string }): void {
    if (!this.#sessions.delete(session.sessionId)) return;
    const now = Date.now();
    this.#byFunction.delete(session.functionId, session);
    this.#byLambda.delete(session.lambda, session);
    const attachedMs = session.attachedMs(now);
    const peer = session.debugger;
    session.debugger = undefined;
    session.attachedAtMs = undefined;
    session.state = 'ended';
    session.endReason = reason;
    if (options.notifyProxy) {
      session.lambda.sendControl({
        type: 'session-end',
        sessionId: session.sessionId,
        reason,
        ...(options.detail === undefined ? {} : { message: options.detail }),
      });
    }
    if (peer) {
      peer.session = undefined;
      const { code, text } = DEBUGGER_CLOSE_FOR_END[reason];
      // The proxy's text is free-form; a token pasted into it must not reach the debugger's console.
      const detail = options.detail ? ` (${redactText(options.detail)})` : '';
      peer.close(code, `session ended: ${reason}`, `session ended: ${text}${detail}`);
    }
    this.#logger.info('session ended', {
      sessionId: session.sessionId,
      functionId: session.functionId,
      requestId: session.requestId,
      reason,
      ...(options.detail === undefined ? {} : { detail: options.detail }),
      durationMs: now - session.registeredAtMs,
      attachedMs,
      hadDebugger: session.lastDetachedAtMs !== undefined || peer !== undefined,
    });
    this.#emit('session-ended', session, now);
  }

  #emit(type: SessionEventType, session: Session, atMs: number): void {
    const event: SessionEvent = { type, atMs, session: session.summary() };
    try {
      this.events.emit('session', event);
    } catch (error) {
      // A listener's bug must not leave a pairing step half done.
      this.#logger.error('a session event listener threw', {
        type,
        sessionId: session.sessionId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/**
 * Members per key, in insertion order. A key with one member holds it directly and gets a Set only when a
 * second member comes: most functions and links carry one session at a time, and an idle broker holding
 * thousands of them should not pay for a Set each. Members are never Sets themselves.
 */
class MemberIndex<K, V extends object> {
  #entries = new Map<K, V | Set<V>>();

  /** Keys that have members. */
  keys(): IterableIterator<K> {
    return this.#entries.keys();
  }

  /** How many members `key` has. */
  count(key: K): number {
    const entry = this.#entries.get(key);
    if (entry === undefined) return 0;
    return entry instanceof Set ? entry.size : 1;
  }

  /** A copy of `key`'s members, oldest first: callers may change the index while they walk it. */
  members(key: K): V[] {
    const entry = this.#entries.get(key);
    if (entry === undefined) return [];
    return entry instanceof Set ? [...entry] : [entry];
  }

  add(key: K, value: V): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) this.#entries.set(key, value);
    else if (entry instanceof Set) entry.add(value);
    else if (entry !== value) this.#entries.set(key, new Set([entry, value]));
  }

  delete(key: K, value: V): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (entry instanceof Set) {
      entry.delete(value);
      if (entry.size === 0) this.#entries.delete(key);
    } else if (entry === value) {
      this.#entries.delete(key);
    }
  }
}
