import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { createUpgradeServer } from './context.js';

/** What an endpoint keeps for each accepted WebSocket: at least the socket, for buffer accounting. */
export interface OpenConnection {
  readonly socket: WebSocket;
}

/** How many sockets a port holds open and how much they have yet to send. */
export interface ConnectionCounts {
  readonly size: number;
  readonly bufferedBytes: number;
}

/**
 * The accepted WebSockets of one port (the Lambda port's proxy links, the debugger port's debuggers): the
 * upgrade server that accepts them, the set of those still open, and the shutdown flag that stops accepting.
 * Both ports account for and shut down their sockets the same way; only what a connection does differs.
 */
export class OpenConnections<C extends OpenConnection> implements ConnectionCounts {
  #server: WebSocketServer;
  #open = new Set<C>();
  #closing = false;

  constructor(maxPayloadBytes: number) {
    this.#server = createUpgradeServer(maxPayloadBytes);
  }

  /** Connections accepted and not yet closed. */
  get size(): number {
    return this.#open.size;
  }

  /** Bytes waiting in the send buffers of every open socket. */
  get bufferedBytes(): number {
    let total = 0;
    for (const connection of this.#open) total += connection.socket.bufferedAmount;
    return total;
  }

  /** True once `closeAll` ran: new upgrades must be refused. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Completes a checked upgrade. `create` builds the connection and must call `onClosed` when its socket
   * closes; `accepted` runs once it is counted, still inside the upgrade callback, so no message can arrive
   * before it.
   */
  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    create: (ws: WebSocket, onClosed: () => void) => C,
    accepted?: (connection: C) => void,
  ): void {
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      const connection = create(ws, () => this.#open.delete(connection));
      this.#open.add(connection);
      accepted?.(connection);
    });
  }

  /** Stops accepting and closes every open connection with `close`. */
  closeAll(close: (connection: C) => void): void {
    this.#closing = true;
    for (const connection of this.#open) close(connection);
  }
}
