/**
 * Test clients for the broker: a fake proxy that speaks the shim-protocol link, a debugger client, raw HTTP,
 * and a broker started on free ports with a log capture. Reusable by other packages' tests.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import {
  type BrokerMessage,
  decodeBrokerFrame,
  encodeCdpFrame,
  encodeControl,
  PROTOCOL_VERSION,
  type ProxyMessage,
  type SessionEndReason,
} from '@lambda-debug/shim-protocol';
import { createLogger, format, type Logger } from 'winston';
import Transport from 'winston-transport';
import { type ClientOptions, WebSocket } from 'ws';
import {
  type BrokerHandle,
  type BrokerLimits,
  type BrokerOptions,
  type BrokerStats,
  deriveToken,
  generateSecret,
  startBroker,
} from '../src/index.js';

/** How long a test waits for something the broker should do promptly, before failing with a clear message. */
export const WAIT_BOUND_MS = 5_000;

/** Resolves when `predicate` holds, checking on every turn of the event loop; rejects after `boundMs`. */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  boundMs = WAIT_BOUND_MS,
): Promise<void> {
  const giveUpAt = Date.now() + boundMs;
  while (!predicate()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A FIFO of received items that tests await one by one. */
export class Inbox<T> {
  #items: T[] = [];
  #waiters: { predicate: (item: T) => boolean; resolve: (item: T) => void }[] = [];
  #what: string;

  constructor(what: string) {
    this.#what = what;
  }

  push(item: T): void {
    const index = this.#waiters.findIndex((waiter) => waiter.predicate(item));
    if (index >= 0) {
      const [waiter] = this.#waiters.splice(index, 1);
      waiter?.resolve(item);
      return;
    }
    this.#items.push(item);
  }

  /** Everything received and not yet taken. */
  get pending(): readonly T[] {
    return this.#items;
  }

  /** The oldest item matching `predicate` (removed from the inbox); waits for one if none is there yet. */
  next(predicate: (item: T) => boolean = () => true, boundMs = WAIT_BOUND_MS): Promise<T> {
    const index = this.#items.findIndex(predicate);
    if (index >= 0) {
      const [item] = this.#items.splice(index, 1);
      return Promise.resolve(item as T);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `timed out waiting for ${this.#what}; received: ${JSON.stringify(this.#items).slice(0, 500)}`,
          ),
        );
      }, boundMs);
      this.#waiters.push(waiter);
    });
  }
}

/** How a WebSocket closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

function closedPromise(ws: WebSocket): Promise<CloseInfo> {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
}

function openPromise(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)),
    );
  });
}

/** A CDP frame the fake proxy received for one session. */
export interface ReceivedCdp {
  readonly sessionId: string;
  readonly payload: string;
}

/** Plays a Lambda's proxy: one link to the broker's Lambda port, speaking shim-protocol. */
export class FakeProxy {
  readonly ws: WebSocket;
  readonly control = new Inbox<BrokerMessage>('a control message from the broker');
  readonly cdp = new Inbox<ReceivedCdp>('a CDP frame from the broker');
  readonly closed: Promise<CloseInfo>;
  readonly functionId: string;
  /** Answers every CDP command with `{id, result: {echo: method}}` when true. */
  autoReply = false;

  private constructor(ws: WebSocket, functionId: string) {
    this.ws = ws;
    this.functionId = functionId;
    this.closed = closedPromise(ws);
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      const decoded = decodeBrokerFrame(data);
      if (!decoded.ok) throw new Error(`broker sent an undecodable frame: ${decoded.error.message}`);
      const frame = decoded.value;
      if (frame.kind === 'control') {
        this.control.push(frame.message);
        return;
      }
      const payload = frame.payload.toString('utf8');
      if (this.autoReply) {
        const command = JSON.parse(payload) as { id: number; method: string };
        this.sendCdp(frame.sessionId, JSON.stringify({ id: command.id, result: { echo: command.method } }));
        return;
      }
      this.cdp.push({ sessionId: frame.sessionId, payload });
    });
  }

  /**
   * Opens the link without saying hello, at `/v1/lambda/<functionId>` with `upgrade.token` (when given) as
   * `Authorization: Bearer`. `upgrade.path` replaces the path (to test other paths).
   */
  static async open(
    broker: BrokerHandle,
    functionId: string,
    upgrade: { token?: string; path?: string } = {},
    options: ClientOptions = {},
  ): Promise<FakeProxy> {
    const path = upgrade.path ?? `/v1/lambda/${functionId}`;
    const headers = {
      ...options.headers,
      ...(upgrade.token === undefined ? {} : { Authorization: `Bearer ${upgrade.token}` }),
    };
    const scheme = broker.secure ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://127.0.0.1:${broker.lambdaAddress.port}${path}`, {
      ...options,
      headers,
    });
    const proxy = new FakeProxy(ws, functionId);
    await openPromise(ws);
    return proxy;
  }

  /** Opens the link with the function's Lambda token (none when `secret` is undefined), without saying hello. */
  static openAuthenticated(
    broker: BrokerHandle,
    secret: string | undefined,
    functionId: string,
    options: ClientOptions = {},
  ): Promise<FakeProxy> {
    const token = secret === undefined ? undefined : deriveToken(secret, 'lambda', functionId);
    return FakeProxy.open(broker, functionId, token === undefined ? {} : { token }, options);
  }

  /** Opens the link and completes the handshake with the function's Lambda token. */
  static async connect(
    broker: BrokerHandle,
    secret: string | undefined,
    functionId: string,
    options: ClientOptions = {},
  ): Promise<FakeProxy> {
    const proxy = await FakeProxy.openAuthenticated(broker, secret, functionId, options);
    proxy.hello(secret === undefined ? '' : deriveToken(secret, 'lambda', functionId));
    const welcome = await proxy.control.next();
    if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    return proxy;
  }

  send(message: ProxyMessage): void {
    this.ws.send(encodeControl(message));
  }

  hello(token: string, overrides: Partial<Extract<ProxyMessage, { type: 'hello' }>> = {}): void {
    this.send({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      functionId: this.functionId,
      token,
      runtime: 'nodejs20.x',
      proxyVersion: '0.1.0',
      ...overrides,
    });
  }

  /** Registers an invocation and waits for `registered`. */
  async register(
    options: { sessionId?: string; requestId?: string; deadlineMs?: number } = {},
  ): Promise<{ sessionId: string; requestId: string }> {
    const sessionId = options.sessionId ?? randomUUID();
    const requestId = options.requestId ?? randomUUID();
    this.send({
      type: 'register',
      sessionId,
      requestId,
      deadlineMs: options.deadlineMs ?? Date.now() + 300_000,
    });
    const reply = await this.control.next(
      (message) =>
        (message.type === 'registered' || message.type === 'error') && message.sessionId === sessionId,
    );
    if (reply.type !== 'registered') throw new Error(`register refused: ${JSON.stringify(reply)}`);
    return { sessionId, requestId };
  }

  end(sessionId: string, reason: SessionEndReason = 'completed', message?: string): void {
    this.send({ type: 'session-end', sessionId, reason, ...(message === undefined ? {} : { message }) });
  }

  sendCdp(sessionId: string, payload: string): void {
    this.ws.send(encodeCdpFrame(sessionId, payload));
  }

  /** The next control message of `type` (and session, when given). */
  nextControl<T extends BrokerMessage['type']>(
    type: T,
    sessionId?: string,
  ): Promise<Extract<BrokerMessage, { type: T }>> {
    return this.control.next(
      (message) =>
        message.type === type &&
        (sessionId === undefined || ('sessionId' in message && message.sessionId === sessionId)),
    ) as Promise<Extract<BrokerMessage, { type: T }>>;
  }

  async close(): Promise<CloseInfo> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    return this.closed;
  }
}

/** Plays a debugger (DevTools, VS Code): a WebSocket to the broker's debugger port. */
export class TestDebugger {
  readonly ws: WebSocket;
  readonly messages = new Inbox<string>('a message from the broker');
  readonly closed: Promise<CloseInfo>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = closedPromise(ws);
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => this.messages.push(data.toString('utf8')));
  }

  /**
   * Connects to `path` (e.g. `/fn` or `/fn/session`) with `token` in the query when given. `onOpen` runs inside
   * the socket's `open` event, before anything else can happen (to send a burst the way DevTools does).
   */
  static async connect(
    broker: BrokerHandle,
    path: string,
    token: string | undefined,
    options: ClientOptions = {},
    onOpen?: (client: TestDebugger) => void,
  ): Promise<TestDebugger> {
    const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
    const scheme = broker.secure ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://127.0.0.1:${broker.debuggerAddress.port}${path}${query}`, options);
    const client = new TestDebugger(ws);
    if (onOpen) ws.once('open', () => onOpen(client));
    await openPromise(ws);
    return client;
  }

  /** Connects as a debugger of `functionId` with its debugger token (no token when `secret` is undefined). */
  static attach(
    broker: BrokerHandle,
    secret: string | undefined,
    functionId: string,
    sessionId?: string,
    options: ClientOptions = {},
  ): Promise<TestDebugger> {
    const token = secret === undefined ? undefined : deriveToken(secret, 'debugger', functionId);
    return TestDebugger.connect(broker, `/${functionId}${sessionId ? `/${sessionId}` : ''}`, token, options);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The reply to command `id`. */
  async reply(id: number): Promise<{ id: number; result?: unknown; error?: unknown }> {
    const text = await this.messages.next((message) => (JSON.parse(message) as { id?: number }).id === id);
    return JSON.parse(text) as { id: number; result?: unknown };
  }

  /** The next console notice from the broker (a `Runtime.consoleAPICalled` with execution context 0). */
  async notice(): Promise<{ type: string; text: string }> {
    const text = await this.messages.next((message) => message.includes('"Runtime.consoleAPICalled"'));
    const event = JSON.parse(text) as {
      params: { type: string; executionContextId: number; args: { value: string }[] };
    };
    return { type: event.params.type, text: event.params.args[0]?.value ?? '' };
  }

  async close(): Promise<CloseInfo> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    return this.closed;
  }
}

/** A winston transport that keeps every formatted line, for asserting on logs. */
export class CaptureTransport extends Transport {
  readonly lines: string[] = [];

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.lines.push(String(info[Symbol.for('message')]));
    next();
  }
}

/** A logger that writes JSON lines into a `CaptureTransport` (at `level`) instead of the console. */
export function captureLogger(level = 'info'): { logger: Logger; capture: CaptureTransport } {
  const capture = new CaptureTransport();
  const logger = createLogger({
    level,
    format: format.combine(format.timestamp(), format.json()),
    transports: [capture],
  });
  return { logger, capture };
}

/** A broker on free loopback ports with a fresh secret, logs captured, and limits small enough for tests. */
export interface TestBroker {
  readonly broker: BrokerHandle;
  readonly secret: string | undefined;
  readonly capture: CaptureTransport;
}

/** Starts a broker for one test. Pass `auth: false` for a broker without tokens. */
export async function startTestBroker(
  options: Omit<BrokerOptions, 'limits'> & { limits?: Partial<BrokerLimits>; logLevel?: string } = {},
): Promise<TestBroker> {
  const { logLevel, ...brokerOptions } = options;
  const { logger, capture } = captureLogger(logLevel);
  const secret = options.auth === false ? undefined : (options.secret ?? generateSecret());
  const broker = await startBroker({
    host: '127.0.0.1',
    lambdaPort: 0,
    debuggerPort: 0,
    logger,
    ...brokerOptions,
    ...(secret === undefined ? {} : { secret }),
    limits: { shutdownGraceMs: 500, ...options.limits },
  });
  return { broker, secret, capture };
}

/** Counts of a broker with nothing left. */
export const IDLE_STATS: BrokerStats = {
  sessions: 0,
  heldDebuggers: 0,
  lambdaSockets: 0,
  debuggerSockets: 0,
  adminWatchers: 0,
  tcpConnections: 0,
  pausedSockets: 0,
  bufferedBytes: 0,
  pendingTimers: 0,
};

/** Waits until the broker holds nothing at all: no session, socket, paused socket or timer. */
export async function waitUntilIdle(broker: BrokerHandle): Promise<void> {
  await waitFor(
    () => isDeepStrictEqual(broker.stats(), IDLE_STATS),
    `an idle broker (now ${JSON.stringify(broker.stats())})`,
  );
}

/**
 * Sends `text` as-is on a TCP connection to `port` and returns everything the server wrote until it closed.
 * A `101 Switching Protocols` head ends the exchange at once (the connection would stay open as a WebSocket).
 */
export function rawExchange(port: number, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const sofar = Buffer.concat(chunks).toString('latin1');
      if (sofar.startsWith('HTTP/1.1 101 ') && sofar.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset the connection while a large request is still being written; what it said counts.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(text);
  });
}

/** A hand-written WebSocket upgrade request for `path`, with `headers` added (a header set to null is left out). */
export function upgradeRequest(path: string, headers: Record<string, string | null>): string {
  const all: Record<string, string | null> = {
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** The status code of a raw HTTP response. */
export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

/** A plain HTTP GET on 127.0.0.1 without connection reuse; returns status, headers and the parsed JSON body. */
export function getJson(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Anything a test opened that must be closed afterwards. */
interface Closable {
  close(): Promise<unknown>;
}

/**
 * Tracks what one test starts. `cleanup()` (in `afterEach`) closes every client, then requires each broker to
 * hold nothing (no session, socket or timer) before and after `close()`.
 */
export class TestScope {
  #brokers: TestBroker[] = [];
  #clients: Closable[] = [];

  async broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
    const started = await startTestBroker(options);
    this.#brokers.push(started);
    return started;
  }

  /** Registers something to close at cleanup and returns it. */
  track<T extends Closable>(client: T): T {
    this.#clients.push(client);
    return client;
  }

  async proxy(test: TestBroker, functionId: string, options: ClientOptions = {}): Promise<FakeProxy> {
    return this.track(await FakeProxy.connect(test.broker, test.secret, functionId, options));
  }

  async debugger(
    test: TestBroker,
    functionId: string,
    sessionId?: string,
    options: ClientOptions = {},
  ): Promise<TestDebugger> {
    return this.track(await TestDebugger.attach(test.broker, test.secret, functionId, sessionId, options));
  }

  /**
   * A proxy with one registered session and a debugger for its function, once the broker has told the proxy
   * the debugger attached: the starting point of most relay and session-end scenarios.
   */
  async attachedSession(
    test: TestBroker,
    functionId: string,
  ): Promise<{ proxy: FakeProxy; sessionId: string; dbg: TestDebugger }> {
    const proxy = await this.proxy(test, functionId);
    const { sessionId } = await proxy.register();
    const dbg = await this.debugger(test, functionId);
    await proxy.nextControl('debugger-attached', sessionId);
    return { proxy, sessionId, dbg };
  }

  async cleanup(): Promise<void> {
    const clients = this.#clients.splice(0);
    const brokers = this.#brokers.splice(0);
    await Promise.all(clients.map((client) => client.close()));
    for (const { broker } of brokers) {
      await waitUntilIdle(broker);
      await broker.close();
      const after = broker.stats();
      if (!isDeepStrictEqual(after, IDLE_STATS)) {
        throw new Error(`broker still holds resources after close(): ${JSON.stringify(after)}`);
      }
    }
  }
}
