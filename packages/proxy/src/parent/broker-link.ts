/**
 * The proxy's WebSocket link to the broker (`ws(s)://<address>/v1/lambda/<functionId>`, the Lambda token in the
 * upgrade's `Authorization` header, which the broker checks before it opens a WebSocket), speaking shim-protocol's lambda-link
 * messages: `hello` -> `welcome`, `register` -> `registered`, then debugger attach/detach notices and CDP frames
 * both ways, and `session-end` when the invocation is over. One link per invocation: Lambda freezes the process
 * between invocations, so a link kept open would only be dropped by the broker's heartbeat.
 */
import {
  type BrokerMessage,
  CloseCode,
  closeCodeName,
  decodeBrokerFrame,
  encodeCdpFrame,
  encodeControl,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type ProxyMessage,
  type RegisterMessage,
  type SessionEndReason,
} from '@lambda-debug/shim-protocol';
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { LINK_CLOSE_TIMEOUT_MS } from '../shared/limits.js';

/** Why the link could not be opened or used. */
export type LinkFailureKind =
  /** Nothing listens there, DNS failed, the TLS handshake failed, or the connection broke. */
  | 'unreachable'
  /** The broker's certificate did not verify against Node's trust store and `NODE_EXTRA_CA_CERTS`. */
  | 'untrusted'
  /** The broker did not answer within the connect timeout. */
  | 'timeout'
  /** The broker refused the token (close code 4010). */
  | 'unauthorized'
  /** The broker refused for another reason (HTTP refusal, protocol version, capacity...). */
  | 'refused'
  /** The broker sent something this proxy cannot understand. */
  | 'protocol';

/** A link failure, with what happened in words a function owner can act on. */
export class BrokerLinkError extends Error {
  override readonly name = 'BrokerLinkError';
  readonly kind: LinkFailureKind;

  constructor(kind: LinkFailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** What arrives on an open link. */
export type LinkEvent =
  | { readonly type: 'debugger-attached'; readonly sessionId: string; readonly remoteAddress?: string }
  | { readonly type: 'debugger-detached'; readonly sessionId: string; readonly reason: string }
  | {
      readonly type: 'session-end';
      readonly sessionId: string;
      readonly reason: SessionEndReason;
      readonly message?: string;
    }
  | { readonly type: 'cdp'; readonly sessionId: string; readonly payload: Buffer }
  | { readonly type: 'closed'; readonly code: number; readonly reason: string };

/** How to open a link. */
export interface BrokerLinkOptions {
  /** The broker's proxy endpoint (`.../v1/lambda`); the link opens `<url>/<functionId>`. */
  readonly url: string;
  readonly functionId: string;
  /** `DEBUGGER_TOKEN`: sent in the upgrade and in `hello`, never logged; empty for a broker without auth. */
  readonly token: string;
  readonly runtime: string;
  readonly proxyVersion: string;
  readonly timeoutMs: number;
  /** Extra `ws` client options (a custom CA in tests). */
  readonly socketOptions?: ClientOptions;
}

function describeClose(code: number, reason: string): string {
  const name = closeCodeName(code);
  const label = name ? `${code} ${name}` : String(code);
  return reason ? `${label}: ${reason}` : label;
}

/**
 * OpenSSL's verification failures as Node reports them (`error.code`), plus Node's own host name check. Any of
 * them means the broker answered but could not prove who it is, which needs a different fix than a broker that
 * is down.
 */
const CERTIFICATE_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An open, welcomed link. */
export class BrokerLink {
  readonly #socket: WebSocket;
  #listener: ((event: LinkEvent) => void) | undefined;
  #pendingRegistration:
    | { sessionId: string; resolve: () => void; reject: (error: BrokerLinkError) => void }
    | undefined;
  #closed: { code: number; reason: string } | undefined;
  #backlog: LinkEvent[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    socket.on('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString('utf8')));
    socket.on('error', () => undefined);
  }

  /** Connects, sends `hello` and waits for `welcome`. Throws `BrokerLinkError`. */
  static open(options: BrokerLinkOptions): Promise<BrokerLink> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const socket = new WebSocket(linkUrl(options.url, options.functionId), {
        ...options.socketOptions,
        headers: {
          ...options.socketOptions?.headers,
          ...(options.token === '' ? {} : { Authorization: `Bearer ${options.token}` }),
        },
        handshakeTimeout: options.timeoutMs,
        perMessageDeflate: false,
        maxPayload: MAX_FRAME_BYTES,
        followRedirects: false,
      });
      const fail = (error: BrokerLinkError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(new BrokerLinkError('timeout', `the broker did not answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      socket.on('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        fail(
          new BrokerLinkError(
            status === 401 || status === 403 ? 'unauthorized' : 'refused',
            `the broker refused the connection with HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`,
          ),
        );
      });
      socket.on('error', (error) => {
        const code = errorCode(error);
        if (code !== undefined && CERTIFICATE_ERRORS.has(code)) {
          fail(
            new BrokerLinkError(
              'untrusted',
              `the broker's TLS certificate did not verify (${error.message}; ${code})`,
            ),
          );
          return;
        }
        const detail = code === 'ECONNREFUSED' ? 'connection refused' : error.message;
        fail(
          new BrokerLinkError(
            code === 'ETIMEDOUT' ? 'timeout' : 'unreachable',
            `could not connect: ${detail}`,
          ),
        );
      });
      socket.on('close', (code: number, reason: Buffer) => {
        const text = reason.toString('utf8');
        const kind: LinkFailureKind = code === CloseCode.UNAUTHORIZED ? 'unauthorized' : 'refused';
        fail(new BrokerLinkError(kind, `the broker closed the connection (${describeClose(code, text)})`));
      });
      socket.on('open', () => {
        const hello: ProxyMessage = {
          type: 'hello',
          protocolVersion: PROTOCOL_VERSION,
          functionId: options.functionId,
          token: options.token,
          runtime: options.runtime.slice(0, 128),
          proxyVersion: options.proxyVersion.slice(0, 64),
        };
        socket.send(encodeControl(hello));
      });
      socket.on('message', (data: RawData, isBinary: boolean) => {
        if (settled) return;
        const decoded = isBinary ? undefined : decodeBrokerFrame(rawToBuffer(data));
        if (!decoded?.ok) {
          fail(
            new BrokerLinkError(
              'protocol',
              `the broker sent an unexpected frame before welcome${decoded ? `: ${decoded.error.message}` : ''}`,
            ),
          );
          return;
        }
        const frame = decoded.value;
        if (frame.kind === 'control' && frame.message.type === 'welcome') {
          settled = true;
          clearTimeout(timer);
          socket.removeAllListeners();
          resolve(new BrokerLink(socket));
          return;
        }
        if (frame.kind === 'control' && frame.message.type === 'error') {
          fail(new BrokerLinkError('refused', `the broker refused the hello: ${frame.message.message}`));
          return;
        }
        fail(
          new BrokerLinkError('protocol', 'the broker sent something other than welcome in answer to hello'),
        );
      });
    });
  }

  /** Registers the invocation and waits for `registered`. Throws `BrokerLinkError`. */
  register(message: Omit<RegisterMessage, 'type'>, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(
          new BrokerLinkError(
            'unreachable',
            `the link closed (${describeClose(this.#closed.code, this.#closed.reason)})`,
          ),
        );
        return;
      }
      const timer = setTimeout(() => {
        this.#pendingRegistration = undefined;
        reject(
          new BrokerLinkError(
            'timeout',
            `the broker did not confirm the registration within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pendingRegistration = {
        sessionId: message.sessionId,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#sendControl({ type: 'register', ...message });
    });
  }

  /** Receives link events; events that arrived before a listener was set are delivered to it first. */
  setListener(listener: ((event: LinkEvent) => void) | undefined): void {
    this.#listener = listener;
    if (!listener) return;
    for (const event of this.#backlog.splice(0)) listener(event);
  }

  /** Sends one CDP message (the bytes as received from the inspector bridge) to the session's debugger. */
  sendCdp(sessionId: string, payload: Buffer): void {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) return;
    // Text frame: the protocol carries CDP as text, and the payload is UTF-8 JSON.
    this.#socket.send(encodeCdpFrame(sessionId, payload), { binary: false });
  }

  /** True until the link closes. */
  get open(): boolean {
    return this.#closed === undefined && this.#socket.readyState === WebSocket.OPEN;
  }

  /**
   * Ends the session and closes the link, waiting at most `LINK_CLOSE_TIMEOUT_MS` for the close handshake so no
   * socket outlives the invocation.
   */
  async endSession(sessionId: string, reason: SessionEndReason, message?: string): Promise<void> {
    if (this.open) {
      this.#sendControl({
        type: 'session-end',
        sessionId,
        reason,
        ...(message === undefined ? {} : { message: message.slice(0, 1024) }),
      });
    }
    await this.close();
  }

  /** Closes the link (normal closure), then terminates it if the broker does not answer in time. */
  close(): Promise<void> {
    const socket = this.#socket;
    if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, LINK_CLOSE_TIMEOUT_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        try {
          socket.close(CloseCode.NORMAL, 'session over');
        } catch {
          socket.terminate();
        }
      }
    });
  }

  #sendControl(message: ProxyMessage): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(encodeControl(message));
  }

  #emit(event: LinkEvent): void {
    if (this.#listener) this.#listener(event);
    else this.#backlog.push(event);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    const decoded = decodeBrokerFrame(rawToBuffer(data));
    if (!decoded.ok) return;
    const frame = decoded.value;
    if (frame.kind === 'cdp') {
      this.#emit({ type: 'cdp', sessionId: frame.sessionId, payload: frame.payload });
      return;
    }
    this.#onControl(frame.message);
  }

  #onControl(message: BrokerMessage): void {
    switch (message.type) {
      case 'registered':
        if (this.#pendingRegistration?.sessionId === message.sessionId) {
          const pending = this.#pendingRegistration;
          this.#pendingRegistration = undefined;
          pending.resolve();
        }
        return;
      case 'error':
        if (
          this.#pendingRegistration &&
          (message.sessionId === undefined || message.sessionId === this.#pendingRegistration.sessionId)
        ) {
          const pending = this.#pendingRegistration;
          this.#pendingRegistration = undefined;
          pending.reject(
            new BrokerLinkError('refused', `the broker refused the registration: ${message.message}`),
          );
        }
        return;
      case 'heartbeat':
        if (!message.reply) this.#sendControl({ type: 'heartbeat', sentAtMs: message.sentAtMs, reply: true });
        return;
      case 'debugger-attached':
        this.#emit({
          type: 'debugger-attached',
          sessionId: message.sessionId,
          ...(message.remoteAddress === undefined ? {} : { remoteAddress: message.remoteAddress }),
        });
        return;
      case 'debugger-detached':
        this.#emit({ type: 'debugger-detached', sessionId: message.sessionId, reason: message.reason });
        return;
      case 'session-end':
        this.#emit({
          type: 'session-end',
          sessionId: message.sessionId,
          reason: message.reason,
          ...(message.message === undefined ? {} : { message: message.message }),
        });
        return;
      case 'welcome':
        return;
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = { code, reason };
    const pending = this.#pendingRegistration;
    this.#pendingRegistration = undefined;
    pending?.reject(
      new BrokerLinkError(
        code === CloseCode.UNAUTHORIZED ? 'unauthorized' : 'refused',
        `the broker closed the link (${describeClose(code, reason)})`,
      ),
    );
    this.#emit({ type: 'closed', code, reason });
  }
}

/**
 * `<endpoint>/<functionId>`: the broker authenticates the upgrade, and a token opens one function only, so the
 * path names it (L7 load balancers can also route on it). Function ids are URL-safe by definition.
 */
function linkUrl(endpoint: string, functionId: string): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${functionId}`;
  return url.toString();
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
