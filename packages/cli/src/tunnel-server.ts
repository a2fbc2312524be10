/**
 * `lambda-debug tunnel`: a local stand-in for Node's inspector endpoint, for debuggers that cannot send a token
 * (chrome://inspect, `node inspect HOST:PORT`, VS Code's address/port attach).
 *
 * It listens on loopback and serves `/json/version` and `/json/list` for one function by asking the broker
 * (with the function's debugger token) and rewriting each target's URLs to point at itself, without the token.
 * WebSocket upgrades are forwarded to the broker with the token added; after the broker's `101`, bytes are
 * piped both ways untouched, so CDP, close codes and compression pass through as the two ends speak them.
 *
 * Trust model: Node's own `--inspect` on localhost. Like Node, the tunnel accepts only IP-literal or `localhost`
 * Host headers (DNS rebinding) and puts an unguessable id in every target path: browsers may open WebSockets
 * to any origin, but a page cannot read `/json/list` across origins, so it cannot learn the path.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type BrokerAddress, hostPort } from './broker-address.js';
import { getFromBroker } from './broker-http.js';
import { isCertificateError, tlsOptionsFor } from './broker-trust.js';
import { devtoolsFrontendUrl } from './devtools-url.js';
import { CliError, RuntimeFailure, systemErrorCode } from './errors.js';
import { isAllowedHostHeader } from './host-header.js';

export { DEFAULT_TUNNEL_HOST, DEFAULT_TUNNEL_PORT } from './tunnel-defaults.js';

/** Something the tunnel reports to the person running it. Never carries the token. */
export type TunnelEvent =
  | {
      readonly type: 'debugger-connected';
      readonly connectionId: number;
      readonly remoteAddress: string;
      readonly path: string;
    }
  | { readonly type: 'debugger-disconnected'; readonly connectionId: number }
  | { readonly type: 'debugger-refused'; readonly status: number; readonly reason: string }
  | { readonly type: 'broker-problem'; readonly message: string }
  | { readonly type: 'broker-ok' };

/** What `startTunnel` needs. */
export interface TunnelOptions {
  readonly functionId: string;
  readonly broker: BrokerAddress;
  /** The function's debugger token; absent for a broker started with `--no-auth`. */
  readonly token: string | undefined;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly onEvent?: (event: TunnelEvent) => void;
}

/** A running tunnel. */
export interface Tunnel {
  /** The bound address, as `host:port` for URLs (IPv6 in brackets). */
  readonly address: string;
  readonly port: number;
  /** The WebSocket target (without scheme) that attaches to the function's next or waiting invocation. */
  readonly functionTarget: string;
  /** Asks the broker for the function's targets once; resolves with how many there are. */
  checkBroker(): Promise<number>;
  /** Stops listening and cuts every forwarded connection. */
  close(): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
  });
  response.end(text);
}

/** Answers an upgrade we will not forward and drops the socket, as a server that never switched protocols. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, detail: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Destroy only once the refusal is written: destroying at once could cut it off before the client reads it.
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=UTF-8\r\n` +
      `Content-Length: ${Buffer.byteLength(detail)}\r\n\r\n${detail}`,
    () => socket.destroy(),
  );
}

// Request headers that must not reach the broker: it gets its own Host, and the tunnel (not the local page
// or tool) is the broker's client, so the page's Origin, cookies and credentials stay local.
const HEADERS_NOT_FORWARDED = new Set(['host', 'origin', 'cookie', 'authorization', 'content-length']);

function forwardedHeaders(request: IncomingMessage, brokerHost: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? '').toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    if (HEADERS_NOT_FORWARDED.has(name)) continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  headers.host = brokerHost;
  return headers;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

class TunnelServer implements Tunnel {
  readonly #options: TunnelOptions;
  readonly #server: Server;
  /** Unguessable first path segment of every target this tunnel serves (Node uses a UUID per target). */
  readonly #pathId = randomUUID();
  readonly #upgraded = new Set<Duplex>();
  /** Cancels discovery requests still waiting on the broker when the tunnel stops. */
  readonly #stopping = new AbortController();
  #nextConnectionId = 1;
  #brokerProblem: string | undefined;
  #address = '';
  #port = 0;

  constructor(options: TunnelOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      this.#onRequest(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
    });
    this.#server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(request, socket, head),
    );
  }

  get address(): string {
    return this.#address;
  }

  get port(): number {
    return this.#port;
  }

  get functionTarget(): string {
    return `${this.#address}/${this.#pathId}/${this.#options.functionId}`;
  }

  async listen(): Promise<void> {
    const { host, port } = this.#options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    }).catch((error: unknown) => {
      const code = systemErrorCode(error);
      if (code === 'EADDRINUSE') {
        throw new RuntimeFailure(
          `${host}:${port} is already in use (perhaps a Node process started with --inspect)`,
          `Pick another port with --port, for example --port ${port + 1}, and add localhost:${port + 1} in chrome://inspect`,
          { cause: error },
        );
      }
      throw new RuntimeFailure(`cannot listen on ${host}:${port} (${code})`, 'Check --host and --port', {
        cause: error,
      });
    });
    const bound = this.#server.address() as AddressInfo;
    this.#port = bound.port;
    this.#address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  }

  /** The broker lists a debugger token's function only when told which one it is (`fn`). */
  #discoveryQuery(): { query: Record<string, string | undefined>; signal: AbortSignal } {
    return {
      query: { token: this.#options.token, fn: this.#options.functionId },
      signal: this.#stopping.signal,
    };
  }

  async checkBroker(): Promise<number> {
    return (await this.#brokerTargets(this.#address)).length;
  }

  async close(): Promise<void> {
    this.#stopping.abort();
    for (const socket of this.#upgraded) socket.destroy();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #report(event: TunnelEvent): void {
    this.#options.onEvent?.(event);
  }

  /** Reports broker trouble once when it starts and once when it clears, not on every poll of chrome://inspect. */
  #setBrokerProblem(problem: string | undefined): void {
    if (problem === this.#brokerProblem) return;
    const hadProblem = this.#brokerProblem !== undefined;
    this.#brokerProblem = problem;
    if (problem !== undefined) this.#report({ type: 'broker-problem', message: problem });
    else if (hadProblem) this.#report({ type: 'broker-ok' });
  }

  /** The broker's targets for the function, rewritten to point at this tunnel as `publicHost`. */
  async #brokerTargets(publicHost: string): Promise<unknown[]> {
    let response: Awaited<ReturnType<typeof getFromBroker>>;
    try {
      response = await getFromBroker(this.#options.broker, '/json/list', this.#discoveryQuery());
    } catch (error) {
      if (error instanceof CliError) this.#setBrokerProblem(`${error.message}. ${error.fix}`);
      throw error;
    }
    if (response.status !== 200 || !Array.isArray(response.body)) {
      const problem =
        response.status === 401 || response.status === 403
          ? `the broker refused the function's debugger token (HTTP ${response.status}). Check that LAMBDA_DEBUG_SECRET is the broker's secret`
          : `the broker answered /json/list with HTTP ${response.status}${Array.isArray(response.body) ? '' : ' and no target list'}`;
      this.#setBrokerProblem(problem);
      throw new RuntimeFailure(problem, 'See the broker log');
    }
    this.#setBrokerProblem(undefined);
    return response.body.map((target) => this.#rewriteTarget(target, publicHost));
  }

  #rewriteTarget(target: unknown, publicHost: string): unknown {
    if (!isRecord(target)) return target;
    const {
      webSocketDebuggerUrl,
      devtoolsFrontendUrl: _frontend,
      devtoolsFrontendUrlCompat: _compat,
      ...rest
    } = target;
    const local =
      typeof webSocketDebuggerUrl === 'string'
        ? this.#localTarget(webSocketDebuggerUrl, publicHost)
        : undefined;
    if (local === undefined) return rest;
    return {
      ...rest,
      devtoolsFrontendUrl: devtoolsFrontendUrl(local, false),
      webSocketDebuggerUrl: `ws://${local}`,
    };
  }

  /** `publicHost/<pathId>/<broker path>?<query without token>` for a broker WebSocket URL. */
  #localTarget(brokerUrl: string, publicHost: string): string | undefined {
    let url: URL;
    try {
      url = new URL(brokerUrl);
    } catch {
      return undefined;
    }
    url.searchParams.delete('token');
    const query = url.searchParams.size > 0 ? `?${url.searchParams.toString()}` : '';
    return `${publicHost}/${this.#pathId}${url.pathname}${query}`;
  }

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isAllowedHostHeader(request.headers.host)) {
      sendJson(response, 400, {
        error: 'Host header must be an IP address or localhost (DNS rebinding protection)',
      });
      return;
    }
    if (request.method !== 'GET') {
      sendJson(response, 405, { error: 'only GET is served here' });
      return;
    }
    const { pathname } = new URL(request.url ?? '/', 'http://tunnel');
    const publicHost = request.headers.host || this.#address;
    try {
      switch (pathname) {
        case '/json/version': {
          const version = await getFromBroker(this.#options.broker, '/json/version', this.#discoveryQuery());
          if (version.status !== 200 || !isRecord(version.body)) {
            sendJson(response, 502, {
              error: `the broker answered /json/version with HTTP ${version.status}`,
            });
            return;
          }
          // VS Code prefers a webSocketDebuggerUrl here over /json/list; leaving it out keeps the choice per target.
          const { webSocketDebuggerUrl: _ignored, ...info } = version.body;
          sendJson(response, 200, info);
          return;
        }
        case '/json':
        case '/json/list':
          sendJson(response, 200, await this.#brokerTargets(publicHost));
          return;
        default:
          sendJson(response, 404, { error: `unknown path; this tunnel serves /json/version and /json/list` });
      }
    } catch (error) {
      sendJson(response, 502, { error: error instanceof CliError ? error.message : String(error) });
    }
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (!isAllowedHostHeader(request.headers.host)) {
      refuseUpgrade(socket, 400, 'Bad Request', 'Host header must be an IP address or localhost');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://tunnel');
    const prefix = `/${this.#pathId}/`;
    if (!url.pathname.startsWith(prefix)) {
      refuseUpgrade(
        socket,
        404,
        'Not Found',
        'No such target; read /json/list for the targets this tunnel serves',
      );
      return;
    }
    url.searchParams.delete('token');
    if (this.#options.token !== undefined) url.searchParams.set('token', this.#options.token);
    const query = url.searchParams.size > 0 ? `?${url.searchParams.toString()}` : '';
    const brokerPath = `${url.pathname.slice(prefix.length - 1)}${query}`;
    const shownPath = url.pathname.slice(prefix.length - 1);
    const { broker } = this.#options;
    const outgoing = (broker.secure ? httpsRequest : httpRequest)({
      hostname: stripBrackets(broker.host),
      port: broker.port,
      path: brokerPath,
      method: 'GET',
      headers: forwardedHeaders(request, hostPort(broker)),
      ...tlsOptionsFor(broker),
    });
    // Until the broker answers, a client that gives up must not leave a request to the broker behind.
    const abandon = (): void => {
      outgoing.destroy();
    };
    socket.once('close', abandon);
    outgoing.on('upgrade', (answer: IncomingMessage, brokerSocket: Socket, brokerHead: Buffer) => {
      socket.off('close', abandon);
      this.#pipe(request, socket, head, answer, brokerSocket, brokerHead, shownPath);
    });
    outgoing.on('response', (answer: IncomingMessage) => {
      socket.off('close', abandon);
      const status = answer.statusCode ?? 502;
      const reason = answer.statusMessage ?? '';
      this.#report({ type: 'debugger-refused', status, reason });
      answer.resume();
      refuseUpgrade(socket, status, reason, `The broker refused the connection (HTTP ${status} ${reason})`);
    });
    outgoing.on('error', (error: Error) => {
      socket.off('close', abandon);
      if (socket.destroyed) return;
      const code = systemErrorCode(error);
      const problem = isCertificateError(code)
        ? `the broker at ${hostPort(broker)} presented a TLS certificate that did not verify (${code}); pass --ca FILE`
        : `cannot reach the broker at ${hostPort(broker)} (${code})`;
      this.#report({ type: 'debugger-refused', status: 502, reason: problem });
      refuseUpgrade(socket, 502, 'Bad Gateway', problem);
    });
    outgoing.end();
  }

  #pipe(
    request: IncomingMessage,
    client: Duplex,
    clientHead: Buffer,
    answer: IncomingMessage,
    brokerSocket: Socket,
    brokerHead: Buffer,
    shownPath: string,
  ): void {
    if (client.destroyed) {
      brokerSocket.destroy();
      return;
    }
    const connectionId = this.#nextConnectionId++;
    const lines = [`HTTP/1.1 101 ${answer.statusMessage || 'Switching Protocols'}`];
    for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2)
      lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
    client.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (brokerHead.length > 0) client.write(brokerHead);
    if (clientHead.length > 0) brokerSocket.write(clientHead);
    // CDP is request/response: Nagle's delay would add tens of milliseconds to every step.
    brokerSocket.setNoDelay(true);
    (client as Partial<Socket>).setNoDelay?.(true);
    let open = true;
    for (const [side, other] of [
      [client, brokerSocket],
      [brokerSocket, client],
    ] as const) {
      this.#upgraded.add(side);
      // A clean end is passed on by pipe(); an error cuts both sides, a close ends the other one.
      side.on('error', () => other.destroy());
      side.on('close', () => {
        this.#upgraded.delete(side);
        other.end();
        if (open) {
          open = false;
          this.#report({ type: 'debugger-disconnected', connectionId });
        }
      });
    }
    client.pipe(brokerSocket);
    brokerSocket.pipe(client);
    this.#report({
      type: 'debugger-connected',
      connectionId,
      remoteAddress: `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`,
      path: shownPath,
    });
  }
}

/** Starts a tunnel for one function; rejects with a `RuntimeFailure` when the address cannot be bound. */
export async function startTunnel(options: TunnelOptions): Promise<Tunnel> {
  const tunnel = new TunnelServer(options);
  await tunnel.listen();
  return tunnel;
}
