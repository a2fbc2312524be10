/**
 * A minimal broker for the proxy's own tests: a `ws` server speaking shim-protocol's lambda-link messages, with
 * the test playing the debugger. It lets a test attach and detach a debugger, exchange CDP messages, end the
 * session or drop the link at exactly the moment it wants.
 */
import {
  type BrokerMessage,
  CloseCode,
  decodeProxyFrame,
  encodeCdpFrame,
  encodeControl,
  PROTOCOL_VERSION,
  type ProxyMessage,
  type RegisterMessage,
} from '@lambda-debug/shim-protocol';
import { type WebSocket, WebSocketServer } from 'ws';

/** One proxy link as the mini broker sees it. */
export class MiniLink {
  readonly socket: WebSocket;
  readonly received: ProxyMessage[] = [];
  registration: RegisterMessage | undefined;
  #cdpListeners: Array<(message: { id?: number; method?: string; [key: string]: unknown }) => void> = [];
  #messageWaiters: Array<{
    test: (message: ProxyMessage) => boolean;
    resolve: (message: ProxyMessage) => void;
  }> = [];
  #nextId = 1;
  #pending = new Map<number, (reply: { id: number; result?: unknown; error?: unknown }) => void>();
  readonly closed: Promise<{ code: number }>;

  constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', (code: number) => resolve({ code })));
  }

  /** Called by the server for every frame from the proxy. */
  onFrame(data: Buffer): void {
    const decoded = decodeProxyFrame(data);
    if (!decoded.ok) throw decoded.error;
    const frame = decoded.value;
    if (frame.kind === 'cdp') {
      const message = JSON.parse(frame.payload.toString('utf8'));
      if (typeof message.id === 'number' && this.#pending.has(message.id)) {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
      }
      for (const listener of this.#cdpListeners) listener(message);
      return;
    }
    this.received.push(frame.message);
    if (frame.message.type === 'register') {
      this.registration = frame.message;
      this.sendControl({ type: 'registered', sessionId: frame.message.sessionId });
    }
    for (const waiter of [...this.#messageWaiters]) {
      if (waiter.test(frame.message)) {
        this.#messageWaiters.splice(this.#messageWaiters.indexOf(waiter), 1);
        waiter.resolve(frame.message);
      }
    }
  }

  sendControl(message: BrokerMessage): void {
    this.socket.send(encodeControl(message));
  }

  /** Resolves with the first message (already received or future) of the given type. */
  waitFor<T extends ProxyMessage['type']>(type: T): Promise<Extract<ProxyMessage, { type: T }>> {
    const seen = this.received.find((message) => message.type === type);
    if (seen) return Promise.resolve(seen as Extract<ProxyMessage, { type: T }>);
    return new Promise((resolve) =>
      this.#messageWaiters.push({
        test: (message) => message.type === type,
        resolve: (message) => resolve(message as Extract<ProxyMessage, { type: T }>),
      }),
    );
  }

  /** Attaches the test as the session's debugger, once the invocation is registered. */
  async attach(debuggerId = 'd-test'): Promise<void> {
    await this.waitFor('register');
    const sessionId = this.#sessionId();
    this.sendControl({ type: 'debugger-attached', sessionId, debuggerId, remoteAddress: '127.0.0.1:1' });
  }

  detach(debuggerId = 'd-test'): void {
    this.sendControl({
      type: 'debugger-detached',
      sessionId: this.#sessionId(),
      debuggerId,
      reason: 'closed',
    });
  }

  /** Sends a CDP command as the debugger and resolves with its reply. */
  send(method: string, params?: object): Promise<{ id: number; result?: unknown; error?: unknown }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.socket.send(
        encodeCdpFrame(this.#sessionId(), JSON.stringify({ id, method, ...(params ? { params } : {}) })),
      );
    });
  }

  /** Sends a CDP command without waiting for its reply. */
  post(method: string, params?: object): number {
    const id = this.#nextId++;
    this.socket.send(
      encodeCdpFrame(this.#sessionId(), JSON.stringify({ id, method, ...(params ? { params } : {}) })),
    );
    return id;
  }

  /** Resolves on the next CDP event with this method (that `accept` takes, if given). */
  nextEvent(
    method: string,
    accept: (params: Record<string, unknown>) => boolean = () => true,
  ): Promise<{ method: string; params: Record<string, unknown> }> {
    return new Promise((resolve) => {
      const listener = (message: { method?: string; params?: unknown }) => {
        if (message.method !== method || !accept((message.params ?? {}) as Record<string, unknown>)) return;
        this.#cdpListeners.splice(this.#cdpListeners.indexOf(listener), 1);
        resolve(message as { method: string; params: Record<string, unknown> });
      };
      this.#cdpListeners.push(listener);
    });
  }

  /** Every CDP message the debugger receives from now on. */
  onCdp(listener: (message: { id?: number; method?: string; [key: string]: unknown }) => void): void {
    this.#cdpListeners.push(listener);
  }

  #sessionId(): string {
    if (!this.registration) throw new Error('no session registered yet');
    return this.registration.sessionId;
  }
}

/** The server. */
export interface MiniBroker {
  readonly port: number;
  /** Resolves with the next link that completes `hello` (or the one that already did and was not taken). */
  nextLink(): Promise<MiniLink>;
  close(): Promise<void>;
}

/** Starts the mini broker; `token` is the only token it accepts (a wrong one gets close code 4010). */
export async function startMiniBroker(token: string): Promise<MiniBroker> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((ready) => server.once('listening', () => ready()));
  const ready: MiniLink[] = [];
  const waiters: Array<(link: MiniLink) => void> = [];
  server.on('connection', (socket) => {
    let link: MiniLink | undefined;
    socket.on('message', (data: Buffer) => {
      if (link) {
        link.onFrame(data);
        return;
      }
      const decoded = decodeProxyFrame(data);
      if (!decoded.ok || decoded.value.kind !== 'control' || decoded.value.message.type !== 'hello') {
        socket.close(CloseCode.MALFORMED_FRAME, 'hello first');
        return;
      }
      if (decoded.value.message.token !== token) {
        socket.close(CloseCode.UNAUTHORIZED, 'unauthorized');
        return;
      }
      link = new MiniLink(socket);
      link.received.push(decoded.value.message);
      socket.send(
        encodeControl({
          type: 'welcome',
          protocolVersion: PROTOCOL_VERSION,
          connectionId: 'c-1',
          heartbeatIntervalMs: 15_000,
        }),
      );
      const waiter = waiters.shift();
      if (waiter) waiter(link);
      else ready.push(link);
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    nextLink: () => {
      const link = ready.shift();
      if (link) return Promise.resolve(link);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}
