/**
 * A minimal CDP client over a raw `ws` WebSocket, with full control of the handshake headers (Host, Origin) and
 * access to the close code and reason, which chrome-remote-interface hides. Used by the VS Code-style attach and
 * by scenarios that assert how the broker ends a session (`CloseCode.DEADLINE`, `SESSION_ENDED`).
 */
import WebSocket from 'ws';
import {
  type CdpCommand,
  CdpCommandError,
  CdpConnectionClosed,
  type CdpParams,
  type CdpResult,
  InboxClient,
} from './cdp-events.js';
import { redactUrl } from './http-json.js';

/** How a connection ended. */
export interface CdpClose {
  readonly code: number;
  readonly reason: string;
}

/** Options for `CdpConnection.open`. */
export interface CdpConnectionOptions {
  /** Extra handshake headers, for example `{ host: 'localhost' }` as VS Code sends, or an `origin`. */
  readonly headers?: Record<string, string>;
  /** Largest message accepted, in bytes; js-debug and chrome-remote-interface both use 256 MiB. */
  readonly maxPayloadBytes?: number;
}

/** Largest CDP message the test clients accept, in bytes (what js-debug and chrome-remote-interface allow). */
export const CLIENT_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** Command ids start here so a broker that confuses its own ids with ours shows up in a test. */
const FIRST_COMMAND_ID = 1;

interface Pending {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** One debugger connection speaking CDP. */
export class CdpConnection extends InboxClient {
  readonly url: string;
  /** Resolves when the socket closed, with the code and reason the other side gave. */
  readonly closed: Promise<CdpClose>;
  /** Every message received, in order, as text (for transcripts). */
  readonly received: string[] = [];
  /** Every command sent, in order (method names only). */
  readonly sentMethods: string[] = [];
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = FIRST_COMMAND_ID;
  #close: CdpClose | undefined;

  private constructor(url: string, socket: WebSocket) {
    super();
    this.url = url;
    this.#socket = socket;
    socket.on('message', (data) => this.#onMessage(String(data)));
    this.closed = new Promise<CdpClose>((resolve) => {
      socket.once('close', (code: number, reason: unknown) => {
        const close = { code, reason: String(reason ?? '') };
        this.#close = close;
        const error = new CdpConnectionClosed(code, close.reason);
        for (const pending of this.#pending.values()) pending.reject(error);
        this.#pending.clear();
        this.events.close(error);
        resolve(close);
      });
    });
    // Errors after the handshake end in 'close', which is what the tests observe.
    socket.on('error', () => undefined);
  }

  /**
   * Opens `url` and resolves once the handshake succeeded; rejects with the HTTP status and body when the server
   * refuses the upgrade (401, 403, 404), so a test can assert the refusal.
   */
  static open(url: string, options: CdpConnectionOptions = {}): Promise<CdpConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [], {
        headers: options.headers ?? {},
        perMessageDeflate: false,
        maxPayload: options.maxPayloadBytes ?? CLIENT_MAX_PAYLOAD_BYTES,
      });
      let refused = false;
      // The status is what the tests assert; the body is not waited for, since a refusing server may destroy
      // the socket right after its head.
      const onUnexpected = (_request: unknown, response: { statusCode?: number; statusMessage?: string }) => {
        refused = true;
        socket.terminate();
        reject(new HandshakeRefused(redactUrl(url), response.statusCode ?? 0, response.statusMessage ?? ''));
      };
      socket.once('unexpected-response', onUnexpected);
      socket.once('open', () => {
        socket.off('unexpected-response', onUnexpected);
        resolve(new CdpConnection(url, socket));
      });
      socket.once('error', (error) => {
        if (!refused) reject(new Error(`cannot open ${redactUrl(url)}: ${error.message}`));
      });
    });
  }

  /** True once the socket closed. */
  get isClosed(): boolean {
    return this.#close !== undefined;
  }

  /** Sends a command and resolves with its result; rejects with `CdpCommandError` when it is refused. */
  send<M extends CdpCommand>(method: M, ...params: CdpParams<M>): Promise<CdpResult<M>> {
    if (this.#close) return Promise.reject(new CdpConnectionClosed(this.#close.code, this.#close.reason));
    const id = this.#nextId++;
    this.sentMethods.push(method);
    return new Promise<CdpResult<M>>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: (result) => resolve(result as CdpResult<M>), reject });
      this.#socket.send(JSON.stringify({ id, method, params: params[0] ?? {} }));
    });
  }

  /** Closes the socket the way a debugger window closing does (normal closure) and waits for the close. */
  async close(): Promise<CdpClose> {
    if (!this.#close) this.#socket.close(1000, 'debugger closed');
    return this.closed;
  }

  /** Drops the TCP connection without a close frame, as a crashed client or a lost network would. */
  async drop(): Promise<CdpClose> {
    if (!this.#close) this.#socket.terminate();
    return this.closed;
  }

  #onMessage(text: string): void {
    this.received.push(text);
    let message: {
      id?: number;
      method?: string;
      params?: unknown;
      result?: unknown;
      error?: { code?: number; message?: string };
    };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.id === 'number') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) {
        pending.reject(
          new CdpCommandError(pending.method, message.error.code, message.error.message ?? 'no message'),
        );
      } else {
        pending.resolve(message.result ?? {});
      }
    } else if (typeof message.method === 'string') {
      this.events.push(message.method, message.params ?? {});
    }
  }
}

/** The server refused the WebSocket upgrade. */
export class HandshakeRefused extends Error {
  override readonly name = 'HandshakeRefused';
  readonly status: number;
  readonly body: string;

  constructor(url: string, status: number, body: string) {
    super(`the server refused the WebSocket upgrade of ${url} with HTTP ${status} ${body.slice(0, 200)}`);
    this.status = status;
    this.body = body;
  }
}
