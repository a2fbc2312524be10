import { MAX_FRAME_BYTES, normalizeHostName } from '@lambda-debug/shim-protocol';
import type { Logger } from 'winston';
import { BrokerConfigError } from './errors.js';
import { createBrokerLogger } from './logger.js';
import { type BrokerTlsOptions, type CheckedTls, checkTls } from './tls.js';
import { assertUsableSecret } from './tokens.js';

/** Default address both listeners bind to: loopback only, so a broker started by accident is not exposed. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default port for proxies (the seed's). */
export const DEFAULT_LAMBDA_PORT = 8080;
/** Default port for debuggers (the inspector's usual port). */
export const DEFAULT_DEBUGGER_PORT = 9229;

/**
 * Origins always allowed to open debugger WebSockets: Chrome's bundled DevTools (current and older scheme).
 * Requests without an Origin header (VS Code, `node inspect`, chrome-remote-interface) are always allowed.
 */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'devtools://devtools',
  'chrome-devtools://devtools',
];

/** Every limit the broker enforces. Defaults are in `DEFAULT_LIMITS`; each is documented in the README. */
export interface BrokerLimits {
  /** Live sessions across all functions; a `register` beyond this is refused with an `error` message. */
  readonly maxSessions: number;
  /**
   * Live sessions of one function; a `register` beyond this is refused with an `error` (`capacity`), so the
   * holder of one function's Lambda token cannot take every session slot of the broker.
   */
  readonly maxSessionsPerFunction: number;
  /** Debuggers waiting for an invocation across all functions; one more is closed with `CAPACITY`. */
  readonly maxHeldDebuggers: number;
  /** Debuggers waiting for an invocation of one function; one more is closed with `CAPACITY`. */
  readonly maxHeldDebuggersPerFunction: number;
  /** Bytes a held debugger may send before it is paired; more closes it with `CAPACITY`. */
  readonly maxQueuedBytesPerSession: number;
  /** Bytes buffered towards a slow receiver before the sending side is paused (resumed at a quarter). */
  readonly relayHighWaterBytes: number;
  /** Largest WebSocket message accepted on either port; larger closes the connection with 1009. */
  readonly maxFrameBytes: number;
  /** Largest HTTP request head (request line and headers); larger gets 431 and the socket is destroyed. */
  readonly maxHeaderBytes: number;
  /** Open TCP connections per port, WebSocket or not; more are refused by the listener. */
  readonly maxConnectionsPerPort: number;
  /**
   * Open TCP connections on the Lambda port from one remote address (IPv6: one /64); more get `429`. Generous,
   * because every Lambda in a VPC reaches the broker through its NAT gateway's one address.
   */
  readonly maxLambdaConnectionsPerAddress: number;
  /** Open TCP connections on the debugger port from one remote address (IPv6: one /64); more get `429`. */
  readonly maxDebuggerConnectionsPerAddress: number;
  /** `/admin/events` watchers at once; one more is refused with 503. */
  readonly maxAdminWatchers: number;
  /** How often each peer is pinged and each session's deadline checked. */
  readonly heartbeatIntervalMs: number;
  /** A peer silent (no pong, no message) for this long is dropped. */
  readonly heartbeatTimeoutMs: number;
  /** Time a proxy has to send `hello` after its WebSocket opens, and a client to send its HTTP head. */
  readonly handshakeTimeoutMs: number;
  /**
   * A session still open this long after its invocation's deadline is ended with reason `deadline`; a
   * `register` whose deadline is later than the Lambda maximum (15 minutes) plus this is refused.
   */
  readonly deadlineGraceMs: number;
  /** Time `close()` gives peers to finish the WebSocket closing handshake before their sockets are destroyed. */
  readonly shutdownGraceMs: number;
}

/** The documented defaults for `BrokerLimits`. */
export const DEFAULT_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxSessions: 1000,
  maxSessionsPerFunction: 100,
  maxHeldDebuggers: 100,
  maxHeldDebuggersPerFunction: 10,
  maxQueuedBytesPerSession: 4 * 1024 * 1024,
  relayHighWaterBytes: 1024 * 1024,
  maxFrameBytes: MAX_FRAME_BYTES,
  maxHeaderBytes: 16 * 1024,
  maxConnectionsPerPort: 4096,
  maxLambdaConnectionsPerAddress: 1024,
  maxDebuggerConnectionsPerAddress: 64,
  maxAdminWatchers: 32,
  heartbeatIntervalMs: 15_000,
  heartbeatTimeoutMs: 45_000,
  handshakeTimeoutMs: 10_000,
  // Lambda clocks and the broker's may disagree; a minute keeps a skewed but healthy session alive.
  deadlineGraceMs: 60_000,
  shutdownGraceMs: 2_000,
});

/** Options for `startBroker`. Everything but `secret` has a default; `secret` is required unless `auth` is false. */
export interface BrokerOptions {
  /** Address both listeners bind to; default `127.0.0.1` (the Docker image and docs use `0.0.0.0`). */
  host?: string;
  /** Port for proxies; default 8080, 0 picks a free port (the handle reports it). */
  lambdaPort?: number;
  /** Port for debuggers; default 9229, 0 picks a free port (the handle reports it). */
  debuggerPort?: number;
  /** The broker secret every token is derived from; at least `MIN_SECRET_LENGTH` characters. */
  secret?: string;
  /** Default true. False (`--no-auth`) accepts every peer without a token: trusted networks only. */
  auth?: boolean;
  /** Public DNS names accepted in the debugger port's Host header (IP literals and `localhost` always are). */
  allowedHosts?: string[];
  /** Origins allowed to open debugger WebSockets or read `/json`, besides `DEFAULT_ALLOWED_ORIGINS`. */
  allowedOrigins?: string[];
  /** Where log lines go; default `createBrokerLogger({})`. */
  logger?: Logger;
  /** Overrides for `DEFAULT_LIMITS`. */
  limits?: Partial<BrokerLimits>;
  /**
   * Serve both ports over TLS with this certificate (`wss://`, `https://`); default plain. Checked before
   * anything listens; `handle.reloadTls()` swaps it later without dropping connections.
   */
  tls?: BrokerTlsOptions;
}

/** Options after defaults and validation: what the rest of the broker reads. */
export interface ResolvedBrokerOptions {
  readonly host: string;
  readonly lambdaPort: number;
  readonly debuggerPort: number;
  /** The secret, or `undefined` when auth is off. */
  readonly secret: string | undefined;
  readonly allowedHosts: ReadonlySet<string>;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly logger: Logger;
  readonly limits: Readonly<BrokerLimits>;
  /** The checked certificate, or `undefined` for plain `ws://` and `http://`. */
  readonly tls: CheckedTls | undefined;
}

function invalid(message: string): BrokerConfigError {
  return new BrokerConfigError('invalid-option', message);
}

function checkPort(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw invalid(`${name} must be an integer from 0 to 65535 (0 picks a free port); got ${String(value)}`);
  }
  return value;
}

function isLimitName(name: string): name is keyof BrokerLimits {
  return Object.hasOwn(DEFAULT_LIMITS, name);
}

function resolveLimits(overrides: Partial<BrokerLimits> | undefined): Readonly<BrokerLimits> {
  const limits: Record<keyof BrokerLimits, number> = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!isLimitName(name)) {
      throw invalid(`unknown limit "${name}"; known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw invalid(`limit ${name} must be a positive integer; got ${String(value)}`);
    }
    limits[name] = value;
  }
  if (limits.heartbeatTimeoutMs < limits.heartbeatIntervalMs) {
    throw invalid(
      `heartbeatTimeoutMs (${limits.heartbeatTimeoutMs}) must be at least heartbeatIntervalMs (${limits.heartbeatIntervalMs})`,
    );
  }
  if (limits.maxFrameBytes > MAX_FRAME_BYTES) {
    throw invalid(`maxFrameBytes may not exceed the protocol's MAX_FRAME_BYTES (${MAX_FRAME_BYTES})`);
  }
  return Object.freeze(limits);
}

/** Origins are compared by scheme, host and port, without case and without a trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Applies defaults, validates everything, and throws a `BrokerConfigError` that says what to change. */
export function resolveBrokerOptions(options: BrokerOptions): ResolvedBrokerOptions {
  const auth = options.auth ?? true;
  if (auth) assertUsableSecret(options.secret);
  const host = options.host ?? DEFAULT_HOST;
  if (host.trim() === '') throw invalid('host must not be empty (use 0.0.0.0 to listen on every interface)');
  return {
    host,
    lambdaPort: checkPort('lambdaPort', options.lambdaPort ?? DEFAULT_LAMBDA_PORT),
    debuggerPort: checkPort('debuggerPort', options.debuggerPort ?? DEFAULT_DEBUGGER_PORT),
    secret: auth ? options.secret : undefined,
    allowedHosts: new Set((options.allowedHosts ?? []).map(normalizeHostName)),
    allowedOrigins: new Set(
      [...DEFAULT_ALLOWED_ORIGINS, ...(options.allowedOrigins ?? [])].map(normalizeOrigin),
    ),
    logger: options.logger ?? createBrokerLogger({}),
    limits: resolveLimits(options.limits),
    tls: options.tls === undefined ? undefined : checkTls(options.tls),
  };
}
