import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  assertNever,
  type BrokerMessage,
  CloseCode,
  type CloseCodeValue,
  closeCodeName,
  decodeProxyFrame,
  encodeCdpFrame,
  encodeControl,
  type HelloMessage,
  isValidFunctionId,
  MAX_CONTROL_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type SessionEndReason,
  truncateCloseReason,
} from '@lambda-debug/shim-protocol';
import type { Logger } from 'winston';
import type { RawData, WebSocket } from 'ws';
import { type BrokerContext, formatRemoteAddress } from './context.js';
import { type GuardedPeer, listenGuarded } from './guarded.js';
import {
  parseRequestTarget,
  presentedToken,
  type RequestTarget,
  sendJsonRefusal,
  writeRefusal,
} from './http-guard.js';
import type { LogLevel } from './logger.js';
import { type ConnectionCounts, OpenConnections } from './open-connections.js';
import { closeCodeFor } from './protocol-errors.js';
import { asBuffer } from './relay.js';
import type { LambdaPeer } from './session-registry.js';

/** The path proxies connect to on the Lambda port, followed by `/<functionId>`. */
export const LAMBDA_LINK_PATH = '/v1/lambda';

/**
 * Bytes a proxy may send before its `hello` is accepted: one control message (`MAX_CONTROL_MESSAGE_BYTES`) plus
 * room for frame headers (at most 14 bytes each) and a pong. `ws` takes `maxPayload` per server, not per
 * connection, so without this count a peer could make the broker hold a frame of `maxFrameBytes` before it
 * has said who it is.
 */
export const MAX_PRE_HELLO_BYTES = MAX_CONTROL_MESSAGE_BYTES + 1024;

/** The function a Lambda-port request names, or why the request is not one the port serves. */
type LinkTarget = { readonly functionId: string | undefined } | { readonly notFound: true };

/** `/v1/lambda/<functionId>`, or `/v1/lambda` alone (which only a broker without auth accepts). */
function linkTargetOf(target: RequestTarget): LinkTarget {
  const [version, lambda, functionId, ...extra] = target.segments;
  if (`/${version}/${lambda}` !== LAMBDA_LINK_PATH || extra.length > 0) return { notFound: true };
  if (functionId !== undefined && !isValidFunctionId(functionId)) return { notFound: true };
  return { functionId };
}

/**
 * The Lambda port: proxies open one WebSocket each at `/v1/lambda/<functionId>` with their Lambda token in the
 * upgrade (`Authorization: Bearer`, or `?token=`), say `hello`, then register invocations. A request without a
 * valid token gets `401` and never becomes a WebSocket. Nothing else is served here, and browsers (anything that
 * sends an Origin) are refused outright.
 */
export class LambdaEndpoint {
  #context: BrokerContext;
  #logger: Logger;
  #connections: OpenConnections<LambdaConnection>;

  constructor(context: BrokerContext) {
    this.#context = context;
    this.#logger = context.logger.child({ tag: 'lambda' });
    this.#connections = new OpenConnections(context.options.limits.maxFrameBytes);
  }

  /** This port's open sockets, for the broker's stats. */
  get connections(): ConnectionCounts {
    return this.#connections;
  }

  /** Plain HTTP on the Lambda port: only a hint that this is a WebSocket endpoint. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!('notFound' in linkTargetOf(parseRequestTarget(req.url)))) {
      sendJsonRefusal(res, {
        status: 426,
        message: "This is the proxies' WebSocket endpoint; connect with a WebSocket.",
      });
      return;
    }
    sendJsonRefusal(res, {
      status: 404,
      message: `Proxies connect with a WebSocket to ${LAMBDA_LINK_PATH}/<functionId>.`,
    });
  }

  /** A WebSocket upgrade on the Lambda port: checked, authenticated, and only then accepted. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remoteAddress = formatRemoteAddress(req.socket.remoteAddress, req.socket.remotePort);
    if (this.#connections.closing) {
      writeRefusal(socket, { status: 503, message: 'The broker is shutting down.' });
      return;
    }
    const target = parseRequestTarget(req.url);
    const link = linkTargetOf(target);
    if ('notFound' in link) {
      writeRefusal(socket, { status: 404, message: `Proxies connect to ${LAMBDA_LINK_PATH}/<functionId>.` });
      return;
    }
    if (req.headers.origin !== undefined) {
      this.#logger.warn('browser refused on the Lambda port', { remoteAddress });
      writeRefusal(socket, { status: 403, message: 'Browsers may not connect to the Lambda port.' });
      return;
    }
    const { access } = this.#context;
    const { functionId } = link;
    if (access.enabled) {
      // A token opens one function only, so the upgrade must say which function it is for.
      const refusal =
        functionId === undefined
          ? {
              status: 401,
              message:
                `A proxy connects to ${LAMBDA_LINK_PATH}/<functionId> with its Lambda token in the upgrade ` +
                '(Authorization: Bearer <DEBUGGER_TOKEN>): update the proxy (@lambda-debug/proxy) in the function.',
            }
          : access.check('lambda', functionId, presentedToken(req, target.query));
      if (refusal) {
        this.#logger.warn('proxy refused at upgrade: unauthorized', { remoteAddress, functionId });
        writeRefusal(socket, refusal);
        return;
      }
    }
    this.#connections.accept(
      req,
      socket,
      head,
      (ws, onClosed) =>
        new LambdaConnection({
          context: this.#context,
          logger: this.#logger,
          socket: ws,
          tcp: socket,
          linkFunctionId: functionId,
          remoteAddress,
          onClosed,
        }),
    );
  }

  /** Stops accepting links and closes the open ones (their sessions were already ended and announced). */
  closeAll(): void {
    this.#connections.closeAll((connection) =>
      connection.close(CloseCode.GOING_AWAY, 'broker shutting down'),
    );
  }
}

type LinkState = 'awaiting-hello' | 'ready' | 'closing';

/** One proxy's WebSocket: handshake, then control messages and CDP frames for the sessions it registers. */
class LambdaConnection implements LambdaPeer, GuardedPeer {
  readonly connectionId = `l-${randomUUID()}`;
  readonly socket: WebSocket;
  readonly remoteAddress: string;
  #context: BrokerContext;
  #logger: Logger;
  #state: LinkState = 'awaiting-hello';
  #hello: HelloMessage | undefined;
  /** The function named (and, with auth on, authenticated) in the upgrade; `hello` must name the same. */
  #linkFunctionId: string | undefined;
  /** The transport under the WebSocket, watched until `hello` is accepted (see `MAX_PRE_HELLO_BYTES`). */
  #tcp: Duplex;
  #preHelloBytes = 0;
  #handshakeTimer: NodeJS.Timeout | undefined;
  /** Why this link's sessions end when it closes; a dropped or misbehaving link says so. */
  #endReason: SessionEndReason = 'lambda-disconnected';

  constructor(init: {
    context: BrokerContext;
    logger: Logger;
    socket: WebSocket;
    tcp: Duplex;
    linkFunctionId: string | undefined;
    remoteAddress: string;
    onClosed: () => void;
  }) {
    const { context, socket } = init;
    this.#context = context;
    this.socket = socket;
    this.remoteAddress = init.remoteAddress;
    this.#logger = init.logger;
    this.#linkFunctionId = init.linkFunctionId;
    this.#tcp = init.tcp;
    this.#tcp.on('data', this.#countPreHelloBytes);
    listenGuarded(socket, this, 'lambda', init.onClosed);
    const { limits } = context.options;
    this.#handshakeTimer = context.timers.timeout(
      () => this.#fail(CloseCode.HANDSHAKE_TIMEOUT, `no hello within ${limits.handshakeTimeoutMs} ms`),
      limits.handshakeTimeoutMs,
    );
    context.heartbeat.watch(socket, this);
    this.logLine('debug', 'proxy link opened', { remoteAddress: init.remoteAddress });
  }

  /**
   * Counts what arrives before `hello` is accepted, on the transport rather than per message: `ws` would
   * otherwise buffer a frame of up to `maxFrameBytes` before the broker sees any of it.
   */
  #countPreHelloBytes = (chunk: Buffer): void => {
    if (this.#state !== 'awaiting-hello') return;
    this.#preHelloBytes += chunk.length;
    if (this.#preHelloBytes <= MAX_PRE_HELLO_BYTES) return;
    this.#stopCountingPreHelloBytes();
    // Read nothing more; the close frame goes out, then the connection is cut without waiting for an answer.
    this.#tcp.pause();
    this.#fail(
      CloseCode.FRAME_TOO_LARGE,
      `more than ${MAX_PRE_HELLO_BYTES} bytes before hello (a control message is at most ${MAX_CONTROL_MESSAGE_BYTES})`,
    );
    this.#tcp.once('finish', () => this.#tcp.destroy());
    this.#tcp.end();
  };

  #stopCountingPreHelloBytes(): void {
    this.#tcp.off('data', this.#countPreHelloBytes);
  }

  /** The heartbeat found this proxy silent for too long (frozen or gone). */
  dropSilent(): void {
    this.#endReason = 'heartbeat-timeout';
    this.logLine('warn', 'proxy stopped answering heartbeats; dropping it', {
      functionId: this.#hello?.functionId,
      timeoutMs: this.#context.options.limits.heartbeatTimeoutMs,
    });
    this.socket.terminate();
  }

  /**
   * Logs with the link's fields (its connection id, then its function id once known), added per line rather
   * than held in a child logger: an idle link then costs no logger of its own.
   */
  logLine(level: LogLevel, message: string, meta: Record<string, unknown>): void {
    const fields = this.#hello
      ? { connectionId: this.connectionId, functionId: this.#hello.functionId }
      : { connectionId: this.connectionId };
    this.#logger.log(level, message, { ...fields, ...meta });
  }

  get functionId(): string {
    return this.#hello?.functionId ?? '';
  }

  get runtime(): string {
    return this.#hello?.runtime ?? '';
  }

  sendControl(message: BrokerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeControl(message));
  }

  forwardCdp(sessionId: string, payload: Buffer, source: WebSocket | undefined): void {
    this.#context.flow.forward(source, this.socket, encodeCdpFrame(sessionId, payload));
  }

  /** Closes the link and ends its sessions now, without waiting for the closing handshake. */
  close(code: CloseCodeValue, reason: string): void {
    if (this.#state === 'closing') return;
    const wasReady = this.#state === 'ready';
    this.#state = 'closing';
    this.#context.timers.clear(this.#handshakeTimer);
    this.socket.close(code, truncateCloseReason(reason));
    if (wasReady) this.#context.registry.lambdaGone(this, this.#endReason);
  }

  handleMessage(data: RawData, isBinary: boolean): void {
    this.#context.heartbeat.markAlive(this.socket);
    if (this.#state === 'closing') return;
    if (isBinary) {
      this.#fail(CloseCode.MALFORMED_FRAME, 'binary frames are not part of the protocol; send text frames');
      return;
    }
    const decoded = decodeProxyFrame(asBuffer(data));
    if (!decoded.ok) {
      this.#fail(closeCodeFor(decoded.error), decoded.error.message);
      return;
    }
    const frame = decoded.value;
    if (this.#state === 'awaiting-hello') {
      if (frame.kind === 'control' && frame.message.type === 'hello') this.#onHello(frame.message);
      else this.#fail(CloseCode.UNKNOWN_MESSAGE, 'the first message on the link must be hello');
      return;
    }
    if (frame.kind === 'cdp') {
      this.#context.registry.relayFromLambda(this, frame.sessionId, frame.payload);
      return;
    }
    const message = frame.message;
    switch (message.type) {
      case 'hello':
        this.#fail(CloseCode.UNKNOWN_MESSAGE, 'hello was already accepted on this link');
        return;
      case 'register':
        this.#context.registry.register(this, message);
        return;
      case 'session-end':
        this.#context.registry.endFromProxy(this, message);
        return;
      case 'heartbeat':
        if (!message.reply) this.sendControl({ type: 'heartbeat', sentAtMs: message.sentAtMs, reply: true });
        return;
      default:
        assertNever(message, 'proxy message');
    }
  }

  handleInternalError(): void {
    this.#fail(CloseCode.INTERNAL_ERROR, 'internal broker error');
  }

  #onHello(hello: HelloMessage): void {
    const { access, timers, options } = this.#context;
    if (this.#linkFunctionId !== undefined && hello.functionId !== this.#linkFunctionId) {
      this.#fail(
        CloseCode.UNAUTHORIZED,
        `hello names function ${hello.functionId}, but the link was opened for ${this.#linkFunctionId}`,
      );
      return;
    }
    const refusal = access.check('lambda', hello.functionId, hello.token);
    if (refusal) {
      this.logLine('warn', 'proxy refused: unauthorized', {
        functionId: hello.functionId,
        remoteAddress: this.remoteAddress,
      });
      this.#fail(CloseCode.UNAUTHORIZED, refusal.message);
      return;
    }
    timers.clear(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#stopCountingPreHelloBytes();
    this.#hello = hello;
    this.#state = 'ready';
    this.sendControl({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      connectionId: this.connectionId,
      heartbeatIntervalMs: options.limits.heartbeatIntervalMs,
    });
    this.logLine('info', 'proxy connected', {
      remoteAddress: this.remoteAddress,
      runtime: hello.runtime,
      proxyVersion: hello.proxyVersion,
    });
  }

  /** Closes a link that broke the protocol; its sessions end with `proxy-error`. */
  #fail(code: CloseCodeValue, reason: string): void {
    if (this.#state === 'closing') return;
    this.#endReason = 'proxy-error';
    this.logLine('warn', 'closing proxy link', {
      remoteAddress: this.remoteAddress,
      functionId: this.#hello?.functionId,
      closeCode: code,
      closeName: closeCodeName(code),
      reason,
    });
    this.close(code, reason);
  }

  handleClose(code: number, reason: Buffer): void {
    const { timers, heartbeat, flow, registry } = this.#context;
    this.#state = 'closing';
    timers.clear(this.#handshakeTimer);
    this.#stopCountingPreHelloBytes();
    heartbeat.unwatch(this.socket);
    flow.forget(this.socket);
    // Ends what is left; a close the broker started has ended everything already.
    if (this.#hello) registry.lambdaGone(this, this.#endReason);
    this.logLine('info', 'proxy disconnected', {
      closeCode: code,
      reason: reason.toString('utf8').slice(0, 123) || undefined,
      endReason: this.#endReason,
    });
  }
}
