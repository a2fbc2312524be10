/**
 * The parent's side of the inspector bridge: one TCP connection to the child's bridge per attached debugger.
 * CDP payloads go through as the bytes the broker delivered; the bridge's replies and events come back one frame
 * per DevTools Protocol message.
 */
import net from 'node:net';
import {
  type BridgeFrame,
  BridgeFrameDecoder,
  BridgeFrameKind,
  encodeBridgeFrame,
  encodeControlFrame,
  type ParentControl,
  parseControl,
} from '../shared/bridge-framing.js';

/** Callbacks for what the bridge sends. */
export interface BridgeClientHandlers {
  /** One CDP message for the debugger. */
  onCdp(payload: Buffer): void;
  /** The debugger sent `Runtime.runIfWaitingForDebugger`. */
  onRunRequested(): void;
  /** The connection ended (either side). */
  onClose(): void;
}

/** A connection to the child's inspector bridge. */
export class BridgeClient {
  readonly #socket: net.Socket;
  readonly #handlers: BridgeClientHandlers;
  readonly #decoder = new BridgeFrameDecoder();
  #closed = false;
  #closeReported = false;
  #flushWaiters = new Map<number, () => void>();
  #nextFlushId = 1;
  #holdWaiters: Array<(held: boolean) => void> = [];

  private constructor(socket: net.Socket, handlers: BridgeClientHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => this.#onClosed());
    socket.on('error', () => this.#onClosed());
  }

  /** Connects and authenticates with the nonce the child was started with. */
  static connect(
    address: { readonly host: string; readonly port: number },
    nonce: string,
    handlers: BridgeClientHandlers,
    timeoutMs: number,
  ): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.host, port: address.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(
            `the debug process's inspector bridge did not accept a connection within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`the debug process's inspector bridge refused the connection: ${error.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.write(encodeControlFrame({ type: 'hello', nonce }));
        resolve(new BridgeClient(socket, handlers));
      });
    });
  }

  /** Sends one CDP message from the debugger. */
  sendCdp(payload: Buffer | string): void {
    if (!this.#closed) this.#socket.write(encodeBridgeFrame(BridgeFrameKind.Cdp, payload));
  }

  /** Sends a control message. */
  sendControl(message: ParentControl): void {
    if (!this.#closed) this.#socket.write(encodeControlFrame(message));
  }

  /** Shows `text` in the debugger's console (the bridge turns it into a `Runtime.consoleAPICalled` event). */
  notice(text: string, level: 'info' | 'warning'): void {
    this.sendControl({ type: 'notice', level, text });
  }

  /**
   * Resolves once every CDP message the bridge produced so far has reached `onCdp`, or after `timeoutMs`: used
   * before the session ends so no reply (a `Debugger.resume` answer, a notice) is cut off.
   */
  flush(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const id = this.#nextFlushId++;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#flushWaiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#flushWaiters.set(id, done);
      this.sendControl({ type: 'flush', id });
    });
  }

  /**
   * The debugger left: asks the bridge to keep this connection's inspector session while the handler is paused.
   * Resolves `true` when it does (the pause lasts until `close()` or until another debugger takes over, which
   * closes this connection from the bridge's side), `false` when the handler was not paused (the bridge then
   * closes the connection) or the connection is gone.
   */
  hold(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#holdWaiters.push(resolve);
      this.sendControl({ type: 'hold' });
    });
  }

  /** Ends the connection: the bridge disconnects this debugger's inspector session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.end();
    this.#socket.destroySoon();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onData(chunk: Buffer): void {
    let frames: BridgeFrame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch {
      this.#socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (frame.kind === BridgeFrameKind.Cdp) {
        this.#handlers.onCdp(frame.payload);
        continue;
      }
      const control = parseControl(frame.payload);
      if (control?.type === 'run-requested') this.#handlers.onRunRequested();
      if (control?.type === 'flushed' && typeof control.id === 'number')
        this.#flushWaiters.get(control.id)?.();
      if (control?.type === 'held' || control?.type === 'released') {
        for (const waiter of this.#holdWaiters.splice(0)) waiter(control.type === 'held');
      }
    }
  }

  #onClosed(): void {
    this.#closed = true;
    this.#socket.destroy();
    for (const waiter of [...this.#flushWaiters.values()]) waiter();
    for (const waiter of this.#holdWaiters.splice(0)) waiter(false);
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#handlers.onClose();
  }
}
