import type { Logger } from 'winston';
import type { RawData, WebSocket } from 'ws';
import type { LogLevel } from './logger.js';

/**
 * Wraps a socket event handler so a bug in it costs one connection, not the process: the error is logged and
 * `onError` closes the connection (with `INTERNAL_ERROR`); every other session carries on.
 */
export function guarded<A extends unknown[]>(
  logger: Logger,
  what: string,
  handler: (...args: A) => void,
  onError: (error: unknown) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      handler(...args);
    } catch (error) {
      logger.error(`unexpected failure in ${what}`, {
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
      try {
        onError(error);
      } catch {
        // The connection is already beyond saving; the process must not be.
      }
    }
  };
}

/** A peer whose socket `listenGuarded` wires: it handles the socket's events and logs with its own fields. */
export interface GuardedPeer {
  /** Logs one line with the peer's identifying fields added. */
  logLine(level: LogLevel, message: string, meta: Record<string, unknown>): void;
  handleMessage(data: RawData, isBinary: boolean): void;
  /** Closes the peer after a handler failed (with `INTERNAL_ERROR`). */
  handleInternalError(): void;
  handleClose(code: number, reason: Buffer): void;
}

/**
 * Wires a peer's socket so a failure while handling an event costs that peer alone (`handleInternalError`
 * closes it), and `onClosed` (the endpoint forgetting the peer) runs even if `handleClose` fails. The listeners
 * call the peer's methods instead of per-peer wrappers: thousands of idle peers hold no extra closures.
 */
export function listenGuarded(
  socket: WebSocket,
  peer: GuardedPeer,
  what: string,
  onClosed: () => void,
): void {
  socket.on('message', (data: RawData, isBinary: boolean) => {
    try {
      peer.handleMessage(data, isBinary);
    } catch (error) {
      reportFailure(peer, `${what} message`, error);
      try {
        peer.handleInternalError();
      } catch {
        // The connection is already beyond saving; the process must not be.
      }
    }
  });
  socket.on('error', (error) => peer.logLine('debug', `${what} socket error`, { error: error.message }));
  socket.on('close', (code: number, reason: Buffer) => {
    try {
      peer.handleClose(code, reason);
    } catch (error) {
      reportFailure(peer, `${what} close`, error);
    }
    onClosed();
  });
}

function reportFailure(peer: GuardedPeer, what: string, error: unknown): void {
  peer.logLine('error', `unexpected failure in ${what}`, {
    error: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
}
