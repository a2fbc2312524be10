import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  MAX_CONTROL_MESSAGE_BYTES,
  type SessionEvent,
  type SessionListResponse,
  truncateCloseReason,
} from '@lambda-debug/shim-protocol';
import type { Logger } from 'winston';
import type { WebSocket, WebSocketServer } from 'ws';
import { type BrokerContext, createUpgradeServer, formatRemoteAddress } from './context.js';
import { presentedToken, type RequestTarget, sendJson, sendJsonRefusal, writeRefusal } from './http-guard.js';
import { maskUrl } from './logger.js';

/**
 * The operator's view, on the debugger port behind the admin token: `GET /admin/sessions` lists live
 * sessions, and the `/admin/events` WebSocket streams every change (after one message per existing session).
 */
export class AdminEndpoint {
  #context: BrokerContext;
  #logger: Logger;
  #server: WebSocketServer;
  #watchers = new Set<WebSocket>();

  constructor(context: BrokerContext) {
    this.#context = context;
    this.#logger = context.logger.child({ tag: 'admin' });
    // Watchers only listen; nothing they send needs more room than a control message.
    this.#server = createUpgradeServer(MAX_CONTROL_MESSAGE_BYTES);
  }

  /** Open `/admin/events` WebSockets. */
  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** `GET /admin/sessions` (Host and Origin already checked). */
  handleSessions(req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
    const refusal = this.#context.access.check('admin', undefined, presentedToken(req, target.query));
    if (refusal) {
      this.#logger.warn('admin request refused', { url: maskUrl(req.url), status: refusal.status });
      sendJsonRefusal(res, refusal);
      return;
    }
    const body: SessionListResponse = {
      sessions: this.#context.registry.list().map((session) => session.summary()),
    };
    sendJson(res, 200, body);
  }

  /** The `/admin/events` upgrade (Host and Origin already checked). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: RequestTarget): void {
    const remoteAddress = formatRemoteAddress(req.socket.remoteAddress, req.socket.remotePort);
    const refusal = this.#context.access.check('admin', undefined, presentedToken(req, target.query));
    if (refusal) {
      this.#logger.warn('admin watcher refused', { remoteAddress, status: refusal.status });
      writeRefusal(socket, refusal);
      return;
    }
    const { maxAdminWatchers } = this.#context.options.limits;
    if (this.#watchers.size >= maxAdminWatchers) {
      this.#logger.warn('admin watcher refused: too many', { remoteAddress, maxAdminWatchers });
      writeRefusal(socket, {
        status: 503,
        message: `The broker already serves ${maxAdminWatchers} event watchers (maxAdminWatchers).`,
      });
      return;
    }
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      this.#watch(ws, remoteAddress);
      this.#context.heartbeat.watchClient(
        ws,
        { headers: req.headers, tcp: socket },
        { dropSilent: () => ws.terminate() },
      );
    });
  }

  /** Closes every watcher. */
  closeAll(): void {
    for (const ws of this.#watchers) ws.close(CloseCode.GOING_AWAY, 'broker shutting down');
  }

  #watch(ws: WebSocket, remoteAddress: string): void {
    const { registry, heartbeat, options } = this.#context;
    this.#watchers.add(ws);
    const send = (event: SessionEvent): void => {
      if (ws.readyState !== ws.OPEN) return;
      // Events cannot be paused at their source, so a watcher that stops reading is let go instead.
      if (ws.bufferedAmount > options.limits.maxQueuedBytesPerSession) {
        this.#logger.warn('admin watcher too slow; closing it', { remoteAddress });
        ws.close(CloseCode.CAPACITY, truncateCloseReason('events were not read fast enough'));
        return;
      }
      ws.send(JSON.stringify(event));
    };
    registry.events.on('session', send);
    ws.on('message', () => heartbeat.markAlive(ws));
    ws.on('error', (error) => this.#logger.debug('admin socket error', { error: error.message }));
    ws.on('close', () => {
      registry.events.off('session', send);
      heartbeat.unwatch(ws);
      this.#watchers.delete(ws);
      this.#logger.info('admin watcher left', { remoteAddress });
    });
    const now = Date.now();
    for (const session of registry.list()) {
      send({
        type: session.state === 'attached' ? 'debugger-attached' : 'session-registered',
        atMs: now,
        session: session.summary(),
      });
    }
    this.#logger.info('admin watcher joined', { remoteAddress, sessions: registry.sessionCount });
  }
}
