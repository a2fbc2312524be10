/**
 * The broker's admin API as `lambda-debug sessions` uses it: `GET /admin/sessions` and the `/admin/events`
 * WebSocket, both on the debugger port, authenticated with the admin token derived from the secret.
 */
import {
  closeCodeName,
  decodeSessionEvent,
  decodeSessionListResponse,
  type SessionEvent,
  type SessionListResponse,
} from '@lambda-debug/shim-protocol';
import WebSocket from 'ws';
import { type BrokerAddress, hostPort, webSocketOrigin } from './broker-address.js';
import { BROKER_REQUEST_TIMEOUT_MS, getFromBroker, unreachableBroker } from './broker-http.js';
import { tlsOptionsFor } from './broker-trust.js';
import { RuntimeFailure } from './errors.js';

/** Largest `/admin/events` message accepted, in bytes: one session event is a few hundred. */
export const MAX_ADMIN_EVENT_BYTES = 64 * 1024;

/** Explains a refusal of the admin API by its HTTP status. */
function adminRefusal(broker: BrokerAddress, status: number, what: string): RuntimeFailure {
  const where = hostPort(broker);
  if (status === 401 || status === 403) {
    return new RuntimeFailure(
      `the broker at ${where} refused the admin token for ${what} (HTTP ${status})`,
      "Check that LAMBDA_DEBUG_SECRET is the broker's secret, or pass --no-auth for a broker started with --no-auth",
    );
  }
  if (status === 404) {
    return new RuntimeFailure(
      `${where} has no lambda-debug admin API (HTTP 404 for ${what})`,
      "Point --broker at the broker's debugger port (9229 by default), not its Lambda port",
    );
  }
  if (status === 503) {
    return new RuntimeFailure(
      `the broker at ${where} is too busy for ${what} (HTTP 503)`,
      'Try again in a moment',
    );
  }
  return new RuntimeFailure(
    `the broker at ${where} answered ${what} with HTTP ${status}`,
    'See the broker log',
  );
}

/** The broker's sessions now. */
export async function fetchSessions(
  broker: BrokerAddress,
  adminToken: string | undefined,
): Promise<SessionListResponse> {
  const response = await getFromBroker(
    broker,
    '/admin/sessions',
    adminToken === undefined ? {} : { bearerToken: adminToken },
  );
  if (response.status !== 200) throw adminRefusal(broker, response.status, '/admin/sessions');
  const decoded = decodeSessionListResponse(response.body);
  if (!decoded.ok) {
    throw new RuntimeFailure(
      `the broker at ${hostPort(broker)} sent a session list this CLI cannot read (${decoded.error.message})`,
      'Use the same lambda-debug version for the CLI and the broker',
    );
  }
  return decoded.value;
}

/** How an event stream ended, when the broker (not the user) ended it. */
export interface EventStreamEnd {
  readonly code: number;
  readonly reason: string;
}

/** A live `/admin/events` subscription. */
export interface SessionEventStream {
  /** Resolves when the broker closes the stream or the connection drops. */
  readonly ended: Promise<EventStreamEnd>;
  /** Closes the stream from this side. */
  close(): Promise<void>;
}

/** Callbacks of an event stream: each valid event, and each message that is not one (skipped). */
export interface SessionEventHandlers {
  onEvent(event: SessionEvent): void;
  onInvalid(problem: string): void;
}

/** Describes how a stream ended, for the one-line error of `sessions --follow`. */
export function describeStreamEnd(end: EventStreamEnd): string {
  const name = closeCodeName(end.code);
  return `${end.code}${name === undefined ? '' : ` ${name}`}${end.reason ? `: ${end.reason}` : ''}`;
}

/**
 * Subscribes to `/admin/events`. Resolves once the broker accepted the subscription, so nothing that happens
 * after this returns is missed; rejects with a `RuntimeFailure` when the broker refuses or cannot be reached.
 */
export function openSessionEvents(
  broker: BrokerAddress,
  adminToken: string | undefined,
  handlers: SessionEventHandlers,
): Promise<SessionEventStream> {
  const socket = new WebSocket(`${webSocketOrigin(broker)}/admin/events`, {
    headers: adminToken === undefined ? {} : { authorization: `Bearer ${adminToken}` },
    maxPayload: MAX_ADMIN_EVENT_BYTES,
    handshakeTimeout: BROKER_REQUEST_TIMEOUT_MS,
    ...tlsOptionsFor(broker),
  });
  socket.on('message', (data, isBinary) => {
    let json: unknown;
    try {
      json = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : String(data));
    } catch {
      handlers.onInvalid('an event that is not JSON');
      return;
    }
    const decoded = decodeSessionEvent(json);
    if (decoded.ok) handlers.onEvent(decoded.value);
    else handlers.onInvalid(decoded.error.message);
  });
  const ended = new Promise<EventStreamEnd>((resolve) => {
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  return new Promise((resolve, reject) => {
    const onOpen = (): void => {
      socket.off('error', onError);
      socket.off('unexpected-response', onRefused);
      // After the handshake, errors end the stream through 'close'; this keeps them from being unhandled.
      socket.on('error', () => {});
      resolve({
        ended,
        close: async () => {
          if (socket.readyState !== WebSocket.CLOSED) {
            socket.close(1000, 'watcher stopped');
            await ended;
          }
        },
      });
    };
    const onError = (error: Error): void => {
      socket.off('open', onOpen);
      reject(unreachableBroker(broker, error));
    };
    const onRefused = (_request: unknown, response: { statusCode?: number; resume(): void }): void => {
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.on('error', () => {});
      response.resume();
      socket.terminate();
      reject(adminRefusal(broker, response.statusCode ?? 0, '/admin/events'));
    };
    socket.once('open', onOpen);
    socket.once('error', onError);
    socket.once('unexpected-response', onRefused);
  });
}
