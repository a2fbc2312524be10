import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  type CloseCodeValue,
  closeCodeName,
  type DebuggerDetachReason,
  isValidFunctionId,
  isValidSessionId,
  truncateCloseReason,
} from '@lambda-debug/shim-protocol';
import type { Logger } from 'winston';
import type { RawData, WebSocket } from 'ws';
import { isRefusal } from './access.js';
import type { AdminEndpoint } from './admin-endpoint.js';
import { consoleNotice, type NoticeLevel } from './cdp-notices.js';
import { type BrokerContext, formatRemoteAddress } from './context.js';
import { buildTargets, versionResponse } from './discovery.js';
import { type GuardedPeer, listenGuarded } from './guarded.js';
import {
  checkHost,
  checkOrigin,
  parseRequestTarget,
  presentedToken,
  type Refusal,
  type RequestTarget,
  sendJson,
  sendJsonRefusal,
  writeRefusal,
} from './http-guard.js';
import { type LogLevel, maskUrl } from './logger.js';
import { type ConnectionCounts, OpenConnections } from './open-connections.js';
import { asBuffer } from './relay.js';
import type { DebuggerPeer, Session } from './session-registry.js';

/** Discovery clients that cannot send a token are pointed at the CLI's local forwarder, which adds it. */
const TUNNEL_HINT =
  ' chrome://inspect and `node inspect host:port` cannot send a token: point them at a local `lambda-debug tunnel --fn ID`.';

/**
 * The debugger port: Node-inspector-style discovery (`/json*`), debugger WebSockets at `/<functionId>` and
 * `/<functionId>/<sessionId>`, and the admin endpoints. Every request passes the Host and Origin checks first.
 */
export class DebuggerEndpoint {
  #context: BrokerContext;
  #admin: AdminEndpoint;
  #logger: Logger;
  #connections: OpenConnections<DebuggerConnection>;

  constructor(context: BrokerContext, admin: AdminEndpoint) {
    this.#context = context;
    this.#admin = admin;
    this.#logger = context.logger.child({ tag: 'debugger' });
    this.#connections = new OpenConnections(context.options.limits.maxFrameBytes);
  }

  /** This port's open sockets, for the broker's stats. */
  get connections(): ConnectionCounts {
    return this.#connections;
  }

  /** Plain HTTP on the debugger port: discovery and the admin session list. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.#guard(req);
    if (refusal) {
      this.#logger.warn('request refused', {
        url: maskUrl(req.url),
        status: refusal.status,
        host: req.headers.host,
      });
      sendJsonRefusal(res, refusal);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJsonRefusal(res, { status: 405, message: 'Only GET is served on the debugger port.' });
      return;
    }
    const target = parseRequestTarget(req.url);
    switch (`/${target.segments.join('/')}`) {
      case '/json/version':
        sendJson(res, 200, versionResponse());
        return;
      case '/json':
      case '/json/list':
        this.#list(req, res, target);
        return;
      case '/admin/sessions':
        this.#admin.handleSessions(req, res, target);
        return;
      default:
        sendJsonRefusal(res, {
          status: 404,
          message:
            'Not found. Debuggers open a WebSocket to /<functionId>?token=...; sessions are listed at /json/list.',
        });
    }
  }

  /** A WebSocket upgrade on the debugger port: a debugger, or an admin watcher. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remoteAddress = formatRemoteAddress(req.socket.remoteAddress, req.socket.remotePort);
    const refuse = (refusal: Refusal, fields: Record<string, unknown> = {}) => {
      this.#logger.warn('debugger refused', {
        url: maskUrl(req.url),
        remoteAddress,
        status: refusal.status,
        ...fields,
      });
      writeRefusal(socket, refusal);
    };
    if (this.#connections.closing) {
      refuse({ status: 503, message: 'The broker is shutting down.' });
      return;
    }
    const guardRefusal = this.#guard(req);
    if (guardRefusal) {
      refuse(guardRefusal, { host: req.headers.host, origin: req.headers.origin });
      return;
    }
    const target = parseRequestTarget(req.url);
    const [functionId, sessionId, ...extra] = target.segments;
    if (functionId === 'admin' && sessionId === 'events' && extra.length === 0) {
      this.#admin.handleUpgrade(req, socket, head, target);
      return;
    }
    if (
      !isValidFunctionId(functionId) ||
      (sessionId !== undefined && !isValidSessionId(sessionId)) ||
      extra.length > 0
    ) {
      refuse({
        status: 404,
        message:
          'Debuggers connect to /<functionId> or /<functionId>/<sessionId>, with ?token=<debugger token>.',
      });
      return;
    }
    const authRefusal = this.#context.access.check('debugger', functionId, presentedToken(req, target.query));
    if (authRefusal) {
      refuse(authRefusal, { functionId });
      return;
    }
    this.#connections.accept(
      req,
      socket,
      head,
      (ws, onClosed) => {
        const connection = new DebuggerConnection({
          context: this.#context,
          logger: this.#logger,
          socket: ws,
          functionId,
          remoteAddress,
          onClosed,
        });
        this.#context.heartbeat.watchClient(ws, { headers: req.headers, tcp: socket }, connection);
        return connection;
      },
      // Attach (or hold) inside the upgrade callback, so not even the first message can arrive unpaired.
      (connection) =>
        this.#context.registry.connectDebugger(connection, {
          functionId,
          ...(sessionId ? { sessionId } : {}),
        }),
    );
  }

  /** Stops accepting debuggers and closes any still open (their sessions were already ended). */
  closeAll(): void {
    this.#connections.closeAll((connection) =>
      connection.close(CloseCode.GOING_AWAY, 'broker shutting down', 'the broker is shutting down'),
    );
  }

  #guard(req: IncomingMessage): Refusal | undefined {
    const { allowedHosts, allowedOrigins } = this.#context.options;
    return checkHost(req.headers.host, allowedHosts) ?? checkOrigin(req.headers.origin, allowedOrigins);
  }

  #list(req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
    const { access, registry } = this.#context;
    const requested = target.query.get('fn') ?? undefined;
    if (requested !== undefined && !isValidFunctionId(requested)) {
      sendJsonRefusal(res, {
        status: 400,
        message: 'fn must be a function id: 1 to 128 of A-Z a-z 0-9 . _ -',
      });
      return;
    }
    const scope = access.discoveryScope(
      presentedToken(req, target.query),
      requested,
      registry.activeFunctionIds(),
    );
    if (isRefusal(scope)) {
      this.#logger.info('discovery refused', { url: maskUrl(req.url), status: scope.status });
      sendJsonRefusal(res, { status: scope.status, message: `${scope.message}${TUNNEL_HINT}` });
      return;
    }
    const sessions: Session[] = registry.list(scope.kind === 'function' ? scope.functionId : undefined);
    sendJson(
      res,
      200,
      buildTargets(sessions, {
        // Checked by #guard; URLs point back the way the caller came.
        host: req.headers.host ?? '',
        secure: this.#context.options.tls !== undefined,
        tokenFor: (functionId) => access.tokenFor('debugger', functionId),
        nowMs: Date.now(),
      }),
    );
  }
}

/** One debugger's WebSocket: held until an invocation comes, then attached to one session at a time. */
class DebuggerConnection implements DebuggerPeer, GuardedPeer {
  readonly debuggerId = `d-${randomUUID()}`;
  readonly functionId: string;
  readonly remoteAddress: string;
  readonly socket: WebSocket;
  session: Session | undefined;
  held = false;
  #context: BrokerContext;
  #logger: Logger;
  /** Created by the first message sent while held; most debuggers never need it. */
  #queue: Buffer[] | undefined;
  #queuedBytes = 0;
  #closing = false;
  #detachReason: DebuggerDetachReason = 'closed';

  constructor(init: {
    context: BrokerContext;
    logger: Logger;
    socket: WebSocket;
    functionId: string;
    remoteAddress: string;
    onClosed: () => void;
  }) {
    const { context, socket } = init;
    this.#context = context;
    this.socket = socket;
    this.functionId = init.functionId;
    this.remoteAddress = init.remoteAddress;
    this.#logger = init.logger;
    listenGuarded(socket, this, 'debugger', init.onClosed);
  }

  /** Logs with the debugger's fields, added per line rather than held in a child logger per debugger. */
  logLine(level: LogLevel, message: string, meta: Record<string, unknown>): void {
    this.#logger.log(level, message, { debuggerId: this.debuggerId, functionId: this.functionId, ...meta });
  }

  /** The heartbeat found this debugger silent for too long. */
  dropSilent(): void {
    this.#detachReason = 'heartbeat-timeout';
    this.logLine('warn', 'debugger stopped answering heartbeats; dropping it', {
      timeoutMs: this.#context.options.limits.heartbeatTimeoutMs,
    });
    this.socket.terminate();
  }

  takeQueued(): Buffer[] {
    const queued = this.#queue ?? [];
    this.#queue = undefined;
    this.#queuedBytes = 0;
    return queued;
  }

  forwardCdp(payload: Buffer, source: WebSocket | undefined): void {
    this.#context.flow.forward(source, this.socket, payload);
  }

  notify(level: NoticeLevel, text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(consoleNotice(level, text));
  }

  close(code: CloseCodeValue, reason: string, notice?: string): void {
    if (this.#closing) return;
    this.#closing = true;
    if (notice !== undefined) this.notify('warning', notice);
    this.socket.close(code, truncateCloseReason(reason));
    // Release the session now rather than after the closing handshake, so it can be attached again at once.
    this.#context.registry.debuggerGone(this, this.#detachReason);
  }

  handleMessage(data: RawData, isBinary: boolean): void {
    this.#context.heartbeat.markAlive(this.socket);
    if (this.#closing) return;
    if (isBinary) {
      this.#fail(CloseCode.MALFORMED_FRAME, 'CDP messages are sent as text frames');
      return;
    }
    const payload = asBuffer(data);
    if (!startsLikeJsonObject(payload)) {
      this.#fail(CloseCode.MALFORMED_FRAME, 'a CDP message is a JSON object');
      return;
    }
    if (this.session) {
      this.#context.registry.relayFromDebugger(this, payload);
      return;
    }
    if (!this.held) return;
    const limit = this.#context.options.limits.maxQueuedBytesPerSession;
    if (this.#queuedBytes + payload.length > limit) {
      this.#fail(CloseCode.CAPACITY, `more than ${limit} bytes sent while waiting for an invocation`);
      return;
    }
    this.#queue ??= [];
    this.#queue.push(payload);
    this.#queuedBytes += payload.length;
  }

  handleInternalError(): void {
    this.#fail(CloseCode.INTERNAL_ERROR, 'internal broker error');
  }

  #fail(code: CloseCodeValue, reason: string): void {
    if (this.#closing) return;
    this.#detachReason = 'error';
    this.logLine('warn', 'closing debugger', {
      remoteAddress: this.remoteAddress,
      sessionId: this.session?.sessionId,
      closeCode: code,
      closeName: closeCodeName(code),
      reason,
    });
    this.close(code, reason, reason);
  }

  handleClose(code: number): void {
    const { heartbeat, flow, registry } = this.#context;
    this.#closing = true;
    heartbeat.unwatch(this.socket);
    flow.forget(this.socket);
    this.#queue = undefined;
    this.#queuedBytes = 0;
    registry.debuggerGone(this, this.#detachReason);
    this.logLine('debug', 'debugger socket closed', { closeCode: code });
  }
}

/**
 * A cheap sanity check instead of a parse: a CDP message is a JSON object, so its first non-blank byte is `{`.
 * Anything else would only make the inspector on the other side answer with an error or drop the link.
 */
function startsLikeJsonObject(payload: Buffer): boolean {
  for (const byte of payload) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b;
  }
  return false;
}
