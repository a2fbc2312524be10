/**
 * Typed CDP plumbing shared by the client drivers: command and event types from `devtools-protocol`, an event
 * inbox that lets a test wait for "the next `Debugger.paused`" without racing, and the error a refused command
 * becomes.
 */
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js';

/** Every CDP command name. */
export type CdpCommand = keyof ProtocolMapping.Commands;
/** Parameters of a command, as a tuple (empty for commands without parameters). */
export type CdpParams<M extends CdpCommand> = ProtocolMapping.Commands[M]['paramsType'];
/** The result of a command. */
export type CdpResult<M extends CdpCommand> = ProtocolMapping.Commands[M]['returnType'];
/** Every CDP event name. */
export type CdpEvent = keyof ProtocolMapping.Events;
/** The parameters of an event. */
export type CdpEventParams<E extends CdpEvent> = ProtocolMapping.Events[E][0];

/** A command the other side answered with an error. */
export class CdpCommandError extends Error {
  override readonly name = 'CdpCommandError';
  readonly method: string;
  readonly code: number | undefined;

  constructor(method: string, code: number | undefined, message: string) {
    super(`${method} was refused: ${message}${code === undefined ? '' : ` (code ${code})`}`);
    this.method = method;
    this.code = code;
  }
}

/** Raised to every waiter when the connection ends. */
export class CdpConnectionClosed extends Error {
  override readonly name = 'CdpConnectionClosed';
  readonly code: number | undefined;
  readonly reason: string;

  constructor(code: number | undefined, reason: string) {
    super(
      `the debugger connection closed${code === undefined ? '' : ` with code ${code}`}: ${reason || '(no reason)'}`,
    );
    this.code = code;
    this.reason = reason;
  }
}

interface Waiter {
  readonly method: string;
  readonly accept: (params: unknown) => boolean;
  readonly resolve: (params: unknown) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Events in arrival order. `next` hands each event to at most one waiter (consumed in order), so "resume, then
 * wait for the next pause" can never see the pause from before the resume; `seen` keeps everything, for
 * events a test only inspects (`Debugger.scriptParsed`).
 */
export class CdpEventInbox {
  readonly #unconsumed: Array<{ method: string; params: unknown }> = [];
  readonly #seen: Array<{ method: string; params: unknown }> = [];
  readonly #waiters: Waiter[] = [];
  #closed: CdpConnectionClosed | undefined;

  /** Records an event and gives it to the first waiter that wants it. */
  push(method: string, params: unknown): void {
    this.#seen.push({ method, params });
    const at = this.#waiters.findIndex((waiter) => waiter.method === method && waiter.accept(params));
    if (at >= 0) {
      const [waiter] = this.#waiters.splice(at, 1);
      waiter!.resolve(params);
      return;
    }
    this.#unconsumed.push({ method, params });
  }

  /** The next unconsumed `method` event that passes `accept`, now or when it arrives. */
  next<E extends CdpEvent>(
    method: E,
    accept: (params: CdpEventParams<E>) => boolean = () => true,
  ): Promise<CdpEventParams<E>> {
    const test = (params: unknown) => accept(params as CdpEventParams<E>);
    const at = this.#unconsumed.findIndex((event) => event.method === method && test(event.params));
    if (at >= 0) {
      const [event] = this.#unconsumed.splice(at, 1);
      return Promise.resolve(event!.params as CdpEventParams<E>);
    }
    const waiting = this.#closed
      ? Promise.reject(this.#closed)
      : new Promise<CdpEventParams<E>>((resolve, reject) => {
          this.#waiters.push({
            method,
            accept: test,
            resolve: (params) => resolve(params as CdpEventParams<E>),
            reject,
          });
        });
    // A wait the test never reaches (it failed earlier) must not surface as an unhandled rejection.
    waiting.catch(() => undefined);
    return waiting;
  }

  /** Every `method` event seen so far, consumed or not. */
  seen<E extends CdpEvent>(method: E): Array<CdpEventParams<E>> {
    return this.#seen
      .filter((event) => event.method === method)
      .map((event) => event.params as CdpEventParams<E>);
  }

  /** Drops unconsumed events of `method` (for example the pauses of a previous debugger). */
  discard(method: CdpEvent): void {
    for (let at = this.#unconsumed.length - 1; at >= 0; at--) {
      if (this.#unconsumed[at]!.method === method) this.#unconsumed.splice(at, 1);
    }
  }

  /** Fails every waiter, now and later, with `reason`. */
  close(reason: CdpConnectionClosed): void {
    this.#closed = reason;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
  }
}

/**
 * What both test clients (the raw one and chrome-remote-interface) share: the event inbox their messages are
 * pushed into, and `next` over it, so scenarios wait for events the same way with either.
 */
export abstract class InboxClient {
  readonly events = new CdpEventInbox();

  /** The next `method` event that passes `accept` (see `CdpEventInbox.next`). */
  next<E extends CdpEvent>(
    method: E,
    accept?: (params: CdpEventParams<E>) => boolean,
  ): Promise<CdpEventParams<E>> {
    return this.events.next(method, accept);
  }
}
