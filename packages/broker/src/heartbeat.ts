import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { TrackedTimers } from './timers.js';

/** What a watched socket belongs to: told once when the socket goes silent. */
export interface SilentPeer {
  dropSilent(): void;
}

/** What the monitor needs to know about one watched socket. */
interface Watched {
  readonly peer: SilentPeer;
  lastSeenMs: number;
}

/**
 * Drops silent peers. One interval for the whole broker (not one per socket) pings every watched socket and
 * calls `dropSilent` on the peer of any that showed no sign of life for `timeoutMs`; it runs only while something is
 * watched, so an idle broker holds no timer. A Lambda frozen between invocations stops answering, which is how
 * its sessions stop looking alive.
 */
export class HeartbeatMonitor {
  #watched = new Map<WebSocket, Watched>();
  #timers: TrackedTimers;
  #intervalMs: number;
  #timeoutMs: number;
  #isHeldByUs: (socket: WebSocket) => boolean;
  #onTick: (nowMs: number) => void;
  #interval: NodeJS.Timeout | undefined;
  /** One pong listener for every socket (`ws` calls it with the socket as `this`), not a closure per socket. */
  #onPong: (this: WebSocket) => void;

  constructor(options: {
    timers: TrackedTimers;
    intervalMs: number;
    timeoutMs: number;
    /** True while the broker itself stopped reading the socket (backpressure): its silence is not its fault. */
    isHeldByUs: (socket: WebSocket) => boolean;
    /** Extra periodic work that only matters while peers exist (deadline checks). */
    onTick: (nowMs: number) => void;
  }) {
    this.#timers = options.timers;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#isHeldByUs = options.isHeldByUs;
    this.#onTick = options.onTick;
    const monitor = this;
    this.#onPong = function onPong(this: WebSocket) {
      monitor.markAlive(this);
    };
  }

  /** Pings `socket` every interval; `peer.dropSilent` runs once if it goes silent. */
  watch(socket: WebSocket, peer: SilentPeer): void {
    this.#watched.set(socket, { peer, lastSeenMs: Date.now() });
    socket.on('pong', this.#onPong);
    if (this.#interval === undefined) {
      this.#interval = this.#timers.interval(() => this.#sweep(), this.#intervalMs);
    }
  }

  /**
   * Watches a debugger-port client. Clients that answer pings are watched like proxies; the others are left
   * to TCP keepalive (the kernel drops a peer that vanished) and to the end of their session.
   */
  watchClient(
    socket: WebSocket,
    client: { headers: IncomingHttpHeaders; tcp: Socket | Duplex },
    peer: SilentPeer,
  ): void {
    if (clientAnswersPings(client.headers)) this.watch(socket, peer);
    else if ('setKeepAlive' in client.tcp) client.tcp.setKeepAlive(true, this.#intervalMs);
  }

  /** Stops watching `socket` (it closed); stops the interval when nothing is left. */
  unwatch(socket: WebSocket): void {
    this.#watched.delete(socket);
    if (this.#watched.size === 0 && this.#interval !== undefined) {
      this.#timers.clear(this.#interval);
      this.#interval = undefined;
    }
  }

  /** Any sign of life (a pong, a message, a flushed write) resets the socket's silence. */
  markAlive(socket: WebSocket): void {
    const watched = this.#watched.get(socket);
    if (watched) watched.lastSeenMs = Date.now();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [socket, watched] of this.#watched) {
      if (this.#isHeldByUs(socket)) watched.lastSeenMs = now;
      if (socket.readyState === socket.OPEN) socket.ping();
    }
    // Timers run before pending I/O in each turn of the event loop: after a stall, pongs that already arrived
    // are still unread here. Deciding after the I/O phase keeps a busy broker from dropping healthy peers.
    setImmediate(() => this.#expire());
  }

  #expire(): void {
    const now = Date.now();
    for (const [socket, watched] of [...this.#watched]) {
      if (now - watched.lastSeenMs < this.#timeoutMs) continue;
      this.#watched.delete(socket);
      watched.peer.dropSilent();
    }
    if (this.#watched.size === 0 && this.#interval !== undefined) {
      this.#timers.clear(this.#interval);
      this.#interval = undefined;
    }
    this.#onTick(now);
  }
}

/**
 * Whether a debugger-port client answers WebSocket pings. Node's own `node inspect` client (Node 20) dies on a
 * ping frame ("Unsupported op code 9"); it sends neither a User-Agent nor a Sec-WebSocket-Extensions header,
 * while browsers send a User-Agent and the `ws` library (VS Code, chrome-remote-interface) offers
 * permessage-deflate by default. Clients that look minimal are not pinged; TCP keepalive and their session's
 * end bound their lifetime instead.
 */
export function clientAnswersPings(headers: {
  'user-agent'?: string;
  'sec-websocket-extensions'?: string;
}): boolean {
  return headers['user-agent'] !== undefined || headers['sec-websocket-extensions'] !== undefined;
}
