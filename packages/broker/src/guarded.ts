import type { Logger } from 'winston';
import type { RawData, WebSocket } from 'ws';

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

/**
 * Wires a peer's socket through `guarded`: a failure while handling a message costs that peer alone
 * (`onInternalError` closes it), and `onClosed` (the endpoint forgetting the peer) runs even if `onClose` fails.
 */
export function listenGuarded(
  socket: WebSocket,
  logger: Logger,
  what: string,
  handlers: {
    onMessage: (data: RawData, isBinary: boolean) => void;
    onInternalError: () => void;
    onClose: (code: number, reason: Buffer) => void;
    onClosed: () => void;
  },
): void {
  socket.on('message', guarded(logger, `${what} message`, handlers.onMessage, handlers.onInternalError));
  socket.on('error', (error) => logger.debug(`${what} socket error`, { error: error.message }));
  const onClose = guarded(logger, `${what} close`, handlers.onClose, () => undefined);
  socket.on('close', (code, reason) => {
    onClose(code, reason);
    handlers.onClosed();
  });
}
