import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { judgeHostHeader } from '@lambda-debug/shim-protocol';
import { normalizeOrigin } from './options.js';

/** A request refused before it reached any endpoint: the HTTP status and a message that says what to do. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/** The parts of a request target the broker routes on. */
export interface RequestTarget {
  /** Path segments, without empty ones (`/fn/` and `/fn` are the same). */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

/** Splits `req.url` into path segments and query, without resolving `..` or percent-escapes in the path. */
export function parseRequestTarget(url: string | undefined): RequestTarget {
  const raw = url ?? '/';
  const queryStart = raw.indexOf('?');
  const path = queryStart < 0 ? raw : raw.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? '' : raw.slice(queryStart + 1));
  return { segments: path.split('/').filter((segment) => segment !== ''), query };
}

/**
 * DNS rebinding guard for the debugger port (the rule itself: shim-protocol's `judgeHostHeader`, shared with the
 * CLI's tunnel), plus the configured public names. Unlike Node's inspector the broker requires a Host header:
 * every HTTP/1.1 client sends one.
 */
export function checkHost(
  hostHeader: string | undefined,
  allowedHosts: ReadonlySet<string>,
): Refusal | undefined {
  const verdict = judgeHostHeader(hostHeader, allowedHosts);
  switch (verdict.kind) {
    case 'allowed':
      return undefined;
    case 'missing':
      return { status: 400, message: 'A Host header is required.' };
    case 'malformed':
      return { status: 400, message: 'The Host header is malformed.' };
    case 'not-allowed':
      return {
        status: 403,
        message:
          `Host "${verdict.name.slice(0, 253)}" is not allowed on the debugger port. Connect by IP address or ` +
          'localhost, or start the broker with --allowed-host <name> for a public name.',
      };
  }
}

/**
 * A browser page may open WebSockets to any host; Origin says which page did. Requests without Origin come
 * from non-browser clients (VS Code, `node inspect`) and are fine; a page is allowed only when its origin is
 * DevTools itself or configured (`allowedOrigins`).
 */
export function checkOrigin(
  origin: string | undefined,
  allowedOrigins: ReadonlySet<string>,
): Refusal | undefined {
  if (origin === undefined) return undefined;
  if (allowedOrigins.has(normalizeOrigin(origin))) return undefined;
  return {
    status: 403,
    message:
      `Origin "${origin.slice(0, 253)}" may not use the debugger port. ` +
      'Open DevTools with the devtools:// URL from `lambda-debug url`, or start the broker with --allowed-origin <origin>.',
  };
}

/** The token a request presents: `Authorization: Bearer <token>` first, else the `token` query parameter. */
export function presentedToken(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] !== undefined) return match[1];
  }
  return query.get('token') ?? undefined;
}

/**
 * Gives `socket` the `'error'` listener `onError` unless it has it already. Node's HTTP server removes its own
 * socket error handler before it emits `'upgrade'`, and `ws` adds one only inside `handleUpgrade`: a refusal
 * written in between to a peer that reset the connection would otherwise raise an unhandled `'error'` and end
 * the process. Called for every socket the moment the broker sees it (`'connection'`, then `'upgrade'`, whose
 * socket differs from the TCP one under TLS).
 */
export function listenForSocketErrors(socket: Duplex, onError: (error: Error) => void): void {
  if (!socket.listeners('error').includes(onError)) socket.on('error', onError);
}

/**
 * Refuses a raw request (an upgrade, or one the HTTP parser rejected) with a plain HTTP response and destroys the socket, the way `ws` answers a bad
 * handshake: the client sees the status and the reason instead of a reset connection.
 */
export function writeRefusal(socket: Duplex, refusal: Refusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${refusal.message}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}

/**
 * Writes a JSON response and closes the connection. Discovery clients poll once a second; closing each
 * connection keeps an idle broker from holding sockets, as Node's own inspector does.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** A JSON error body: what went wrong and what to do. */
export function sendJsonRefusal(res: ServerResponse, refusal: Refusal): void {
  sendJson(res, refusal.status, { error: STATUS_CODES[refusal.status] ?? 'Error', message: refusal.message });
}
