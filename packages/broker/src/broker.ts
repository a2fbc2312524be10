import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, Server as TlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SessionSummary } from '@lambda-debug/shim-protocol';
import type { Logger } from 'winston';
import { AccessControl } from './access.js';
import { AddressConnectionCaps } from './address-caps.js';
import { AdminEndpoint } from './admin-endpoint.js';
import type { BrokerContext } from './context.js';
import { DebuggerEndpoint } from './debugger-endpoint.js';
import { BrokerConfigError } from './errors.js';
import { guarded } from './guarded.js';
import { answerHealthCheck } from './health.js';
import { HeartbeatMonitor } from './heartbeat.js';
import { listenForSocketErrors, writeRefusal } from './http-guard.js';
import { LambdaEndpoint } from './lambda-endpoint.js';
import { redactingLogger } from './logger.js';
import {
  type BrokerLimits,
  type BrokerOptions,
  type ResolvedBrokerOptions,
  resolveBrokerOptions,
} from './options.js';
import { FlowController } from './relay.js';
import { SessionRegistry } from './session-registry.js';
import { TrackedTimers } from './timers.js';
import { type BrokerTlsOptions, type CheckedTls, checkTls, isLoopbackHost } from './tls.js';

/** Counts of everything the broker holds; after every peer left, all are zero. */
export interface BrokerStats {
  readonly sessions: number;
  readonly heldDebuggers: number;
  readonly lambdaSockets: number;
  readonly debuggerSockets: number;
  readonly adminWatchers: number;
  /** Open TCP connections on both ports, WebSocket or not. */
  readonly tcpConnections: number;
  /** Sockets the broker stopped reading because their receiver is slow. */
  readonly pausedSockets: number;
  /** Bytes the broker holds in send buffers towards proxies and debuggers (bounded by backpressure). */
  readonly bufferedBytes: number;
  readonly pendingTimers: number;
}

/** A running broker. */
export interface BrokerHandle {
  /** Where proxies connect (the real port when 0 was asked for). */
  readonly lambdaAddress: { readonly host: string; readonly port: number };
  /** Where debuggers connect (the real port when 0 was asked for). */
  readonly debuggerAddress: { readonly host: string; readonly port: number };
  /** Emits `'session'` with a `SessionEvent` on every change. */
  readonly events: EventEmitter;
  /** The limits in force. */
  readonly limits: Readonly<BrokerLimits>;
  /** True when both ports speak TLS (`wss://`, `https://`). */
  readonly secure: boolean;
  /**
   * Checks a new certificate and serves it to every connection from now on; open connections keep the one
   * they started with, so no session is dropped. Throws a `BrokerConfigError` (and keeps the old certificate)
   * when the new one is unusable or the broker was started without TLS.
   */
  reloadTls(tls: BrokerTlsOptions): void;
  /** Live sessions. */
  sessions(): SessionSummary[];
  /** What the broker holds right now. */
  stats(): BrokerStats;
  /**
   * Ends every session with reason `broker-shutdown` (a `session-end` to each proxy, a console line and a
   * close to each debugger), stops listening, and clears every timer. Resolves when every socket is gone.
   */
  close(): Promise<void>;
}

/** Starts both listeners. Rejects with a `BrokerConfigError` that says what to change when it cannot. */
export async function startBroker(options: BrokerOptions): Promise<BrokerHandle> {
  const broker = new Broker(resolveBrokerOptions(options));
  await broker.listen();
  return broker;
}

class Broker implements BrokerHandle {
  #options: ResolvedBrokerOptions;
  #logger: Logger;
  #timers = new TrackedTimers();
  #registry: SessionRegistry;
  #flow: FlowController;
  #heartbeat: HeartbeatMonitor;
  #lambda: LambdaEndpoint;
  #debugger: DebuggerEndpoint;
  #admin: AdminEndpoint;
  #lambdaServer: Server;
  #debuggerServer: Server;
  #tls: CheckedTls | undefined;
  #tcp = new Set<Socket>();
  #onIdle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #listening = false;
  #lambdaAddress = { host: '', port: 0 };
  #debuggerAddress = { host: '', port: 0 };

  constructor(options: ResolvedBrokerOptions) {
    this.#options = options;
    this.#tls = options.tls;
    const logger = redactingLogger(options.logger, options.secret === undefined ? [] : [options.secret]);
    this.#logger = logger.child({ tag: 'broker' });
    const { limits } = options;
    this.#registry = new SessionRegistry({ limits, logger: logger.child({ tag: 'session' }) });
    this.#flow = new FlowController({ highWaterBytes: limits.relayHighWaterBytes });
    this.#heartbeat = new HeartbeatMonitor({
      timers: this.#timers,
      intervalMs: limits.heartbeatIntervalMs,
      timeoutMs: limits.heartbeatTimeoutMs,
      isHeldByUs: (socket) => this.#flow.isPaused(socket),
      onTick: (nowMs) => this.#registry.expireDeadlines(nowMs),
    });
    const context: BrokerContext = {
      options,
      logger,
      access: new AccessControl(options.secret),
      registry: this.#registry,
      heartbeat: this.#heartbeat,
      flow: this.#flow,
      timers: this.#timers,
    };
    this.#admin = new AdminEndpoint(context);
    this.#lambda = new LambdaEndpoint(context);
    this.#debugger = new DebuggerEndpoint(context, this.#admin);
    this.#lambdaServer = this.#createServer(
      'lambda',
      (req, res) => this.#lambda.handleRequest(req, res),
      (req, socket, head) => this.#lambda.handleUpgrade(req, socket, head),
    );
    this.#debuggerServer = this.#createServer(
      'debugger',
      (req, res) => this.#debugger.handleRequest(req, res),
      (req, socket, head) => this.#debugger.handleUpgrade(req, socket, head),
    );
  }

  get lambdaAddress(): { host: string; port: number } {
    return { ...this.#lambdaAddress };
  }

  get debuggerAddress(): { host: string; port: number } {
    return { ...this.#debuggerAddress };
  }

  get events(): EventEmitter {
    return this.#registry.events;
  }

  get limits(): Readonly<BrokerLimits> {
    return this.#options.limits;
  }

  get secure(): boolean {
    return this.#tls !== undefined;
  }

  reloadTls(tls: BrokerTlsOptions): void {
    if (this.#tls === undefined) {
      throw new BrokerConfigError(
        'invalid-tls',
        'this broker was started without TLS; restart it with a certificate to serve TLS',
      );
    }
    const checked = checkTls(tls);
    for (const server of [this.#lambdaServer, this.#debuggerServer]) {
      if (server instanceof TlsServer) server.setSecureContext(checked.secureContext);
    }
    this.#tls = checked;
    this.#logger.info('TLS certificate reloaded', tlsFields(checked));
  }

  sessions(): SessionSummary[] {
    return this.#registry.list().map((session) => session.summary());
  }

  stats(): BrokerStats {
    return {
      sessions: this.#registry.sessionCount,
      heldDebuggers: this.#registry.heldCount,
      lambdaSockets: this.#lambda.connections.size,
      debuggerSockets: this.#debugger.connections.size,
      adminWatchers: this.#admin.watcherCount,
      tcpConnections: this.#tcp.size,
      pausedSockets: this.#flow.pausedCount,
      bufferedBytes: this.#lambda.connections.bufferedBytes + this.#debugger.connections.bufferedBytes,
      pendingTimers: this.#timers.size,
    };
  }

  async listen(): Promise<void> {
    const { host, lambdaPort, debuggerPort, secret } = this.#options;
    try {
      this.#lambdaAddress = await listenOn(this.#lambdaServer, 'lambda', host, lambdaPort);
      this.#debuggerAddress = await listenOn(this.#debuggerServer, 'debugger', host, debuggerPort);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#listening = true;
    if (this.#tls === undefined && !isLoopbackHost(host)) {
      this.#logger.warn(
        `listening on ${host} without TLS: tokens and the functions' data cross the network in clear; ` +
          'pass --tls-cert and --tls-key, or put a TLS-terminating proxy in front',
      );
    }
    if (secret === undefined) {
      this.#logger.warn(
        'AUTH IS OFF (--no-auth): anyone who can reach these ports can attach a debugger and run code in your ' +
          'functions. Use this only on a trusted network.',
      );
    }
    this.#logger.info('broker listening', {
      lambda: `${this.#lambdaAddress.host}:${this.#lambdaAddress.port}`,
      debugger: `${this.#debuggerAddress.host}:${this.#debuggerAddress.port}`,
      auth: secret !== undefined,
      ...(this.#tls === undefined ? { tls: false } : { tls: true, ...tlsFields(this.#tls) }),
      allowedHosts: [...this.#options.allowedHosts],
      allowedOrigins: [...this.#options.allowedOrigins],
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const sessions = this.#registry.sessionCount;
    this.#registry.shutdown();
    this.#lambda.closeAll();
    this.#debugger.closeAll();
    this.#admin.closeAll();
    const stopped = Promise.all([stopListening(this.#lambdaServer), stopListening(this.#debuggerServer)]);
    if (this.#tcp.size > 0) {
      const idle = new Promise<void>((resolve) => {
        this.#onIdle = resolve;
      });
      // Peers get a moment to answer the closing handshake; whoever has not by then is cut off.
      const grace = this.#timers.timeout(() => {
        for (const socket of this.#tcp) socket.destroy();
      }, this.#options.limits.shutdownGraceMs);
      await idle;
      this.#timers.clear(grace);
    }
    await stopped;
    this.#timers.clearAll();
    if (this.#listening) this.#logger.info('broker stopped', { endedSessions: sessions });
  }

  #createServer(
    name: string,
    onRequest: (req: IncomingMessage, res: ServerResponse) => void,
    onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
  ): Server {
    const { limits } = this.#options;
    const logger = this.#logger.child({ port: name });
    // One listener for every socket of this port; a reset peer is routine, not a broker failure.
    const onSocketError = (error: NodeJS.ErrnoException) =>
      logger.debug('socket error', { code: error.code, error: error.message });
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      if (answerHealthCheck(req, res)) return;
      guarded(logger, 'http request', onRequest, () => res.destroy())(req, res);
    };
    const tls = this.#tls;
    const server: Server =
      tls === undefined
        ? createServer({ maxHeaderSize: limits.maxHeaderBytes }, handle)
        : createTlsServer(
            {
              ...tls.secureContext,
              maxHeaderSize: limits.maxHeaderBytes,
              handshakeTimeout: limits.handshakeTimeoutMs,
            },
            handle,
          );
    if (tls !== undefined) {
      // A failed handshake (a client that does not trust the certificate, a port scanner) costs that socket only.
      server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
        logger.debug('TLS handshake failed', { code: error.code, error: error.message });
        socket.destroy();
      });
    }
    server.maxConnections = limits.maxConnectionsPerPort;
    server.headersTimeout = limits.handshakeTimeoutMs;
    server.requestTimeout = limits.handshakeTimeoutMs * 2;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      listenForSocketErrors(socket, onSocketError);
      guarded(logger, 'upgrade', onUpgrade, () => socket.destroy())(req, socket, head);
    });
    const caps = new AddressConnectionCaps(
      name === 'lambda' ? limits.maxLambdaConnectionsPerAddress : limits.maxDebuggerConnectionsPerAddress,
    );
    server.on('connection', (socket: Socket) => {
      listenForSocketErrors(socket, onSocketError);
      this.#tcp.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => {
        this.#tcp.delete(socket);
        if (this.#tcp.size === 0) this.#onIdle?.();
      });
      if (!caps.admit(socket)) this.#refuseOverCap(socket, name, caps.maxPerAddress, logger);
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      logger.debug('bad request', { code: error.code, error: error.message });
      if (error.code === 'HPE_HEADER_OVERFLOW') {
        writeRefusal(socket, {
          status: 431,
          message: `Request headers exceed ${limits.maxHeaderBytes} bytes (maxHeaderBytes).`,
        });
      } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        writeRefusal(socket, { status: 408, message: 'The request took too long to arrive.' });
      } else if (error.code === 'ECONNRESET') {
        socket.destroy();
      } else {
        writeRefusal(socket, { status: 400, message: 'The request could not be parsed.' });
      }
    });
    server.on('error', (error) => logger.error('listener error', { error: error.message }));
    return server;
  }

  /**
   * Answers a connection over its address's cap with `429` before reading anything from it. Logged at debug
   * only: whoever floods the port would otherwise flood the log too.
   */
  #refuseOverCap(socket: Socket, port: string, maxPerAddress: number, logger: Logger): void {
    const limit = port === 'lambda' ? 'maxLambdaConnectionsPerAddress' : 'maxDebuggerConnectionsPerAddress';
    logger.debug('connection refused: too many from one address', {
      remoteAddress: socket.remoteAddress,
      [limit]: maxPerAddress,
    });
    socket.pause();
    writeRefusal(socket, {
      status: 429,
      message: `This address already holds ${maxPerAddress} connections to the ${port} port (${limit}).`,
    });
  }
}

/** What the logs say about a certificate: never the key, only whom it names, until when, and its fingerprint. */
function tlsFields(tls: CheckedTls): Record<string, string> {
  return { certificate: tls.subject, validTo: tls.validTo, fingerprint256: tls.fingerprint256 };
}

function listenOn(
  server: Server,
  name: string,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const flag = name === 'lambda' ? '--lambda-port' : '--debugger-port';
      if (error.code === 'EADDRINUSE') {
        reject(
          new BrokerConfigError(
            'address-in-use',
            `The ${name} port ${port} on ${host} is already in use: stop what holds it or choose another with ${flag} ` +
              '(0 picks a free port).',
            { cause: error },
          ),
        );
        return;
      }
      reject(
        new BrokerConfigError(
          'listen-failed',
          `Could not listen for ${name} connections on ${host}:${port} (${error.code ?? error.message}): check --host ` +
            `and ${flag}.`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve({ host: address.address, port: address.port });
    });
  });
}

function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
